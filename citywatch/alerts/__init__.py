"""What happens to a match on its way to becoming an alert: de-duplication across split tracks
and the two-person review."""
