"""What happens to a match on its way to becoming an alert: de-duplication (review comes next)."""
