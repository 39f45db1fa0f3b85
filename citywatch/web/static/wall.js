// The live alert wall: alerts arrive over Server-Sent Events from GET /events (the session
// cookie authenticates it) and are shown as cards cloned from the page's <template>, filled with
// textContent only (never innerHTML). A new alert plays a short tone, synthesised here as a WAV
// data URI: no file from any server. EventSource reconnects by itself and sends Last-Event-ID,
// so nothing is missed while it is away.
"use strict";

(function () {
  const wall = document.getElementById("alerts");
  const template = document.getElementById("alert-card-template");
  if (!wall || !template) {
    return;
  }
  const state = document.getElementById("live-state");
  const empty = document.getElementById("no-alerts");
  const sound = document.getElementById("sound");
  let tone = null;

  function wavDataUri(frequencyHz, durationS) {
    const rate = 8000;
    const count = Math.floor(rate * durationS);
    const bytes = new Uint8Array(44 + count * 2);
    const view = new DataView(bytes.buffer);
    const text = (offset, value) => {
      for (let i = 0; i < value.length; i += 1) {
        view.setUint8(offset + i, value.charCodeAt(i));
      }
    };
    text(0, "RIFF");
    view.setUint32(4, 36 + count * 2, true);
    text(8, "WAVE");
    text(12, "fmt ");
    view.setUint32(16, 16, true); // PCM header size
    view.setUint16(20, 1, true); // PCM
    view.setUint16(22, 1, true); // mono
    view.setUint32(24, rate, true);
    view.setUint32(28, rate * 2, true); // bytes per second
    view.setUint16(32, 2, true); // bytes per frame
    view.setUint16(34, 16, true); // bits per sample
    text(36, "data");
    view.setUint32(40, count * 2, true);
    for (let i = 0; i < count; i += 1) {
      const fade = Math.min(1, i / 80, (count - i) / 400); // no clicks at either end
      const sample = Math.sin((2 * Math.PI * frequencyHz * i) / rate) * 0.4 * fade;
      view.setInt16(44 + i * 2, Math.round(sample * 32767), true);
    }
    let binary = "";
    bytes.forEach((b) => {
      binary += String.fromCharCode(b);
    });
    return "data:audio/wav;base64," + btoa(binary);
  }

  function chime() {
    // Counted even when muted or blocked, so that a test can tell the wall tried.
    document.body.dataset.chimes = String(Number(document.body.dataset.chimes || "0") + 1);
    if (sound && !sound.checked) {
      return;
    }
    tone = tone || wavDataUri(880, 0.3);
    new Audio(tone).play().catch(() => {
      // Browsers refuse sound before the user has interacted with the page; the card still
      // appears and flashes.
    });
  }

  function utc(iso) {
    const at = new Date(iso);
    return Number.isNaN(at.getTime())
      ? ""
      : at.toISOString().slice(0, 19).replace("T", " ") + " UTC";
  }

  function put(card, field, value) {
    const node = card.querySelector(`[data-field="${field}"]`);
    if (node) {
      node.textContent = value;
    }
  }

  function fill(card, alert) {
    card.className = `alert-card status-${alert.status} priority-${alert.watchlist_priority}`;
    card.dataset.alertId = String(alert.id);
    put(card, "label", alert.label);
    put(card, "person", alert.person);
    put(card, "similarity", Number(alert.similarity).toFixed(3));
    put(card, "camera", alert.camera);
    put(card, "seen", utc(alert.first_seen_at || alert.created_at));
    put(card, "watchlist", alert.watchlist);
    put(card, "priority", alert.watchlist_priority);
    card.querySelector('[data-field="priority"]').className =
      `priority priority-${alert.watchlist_priority}`;
    // An SVG attribute, not a style: the page's CSP allows no inline style.
    card.querySelector('[data-field="colour"]').setAttribute("fill", alert.watchlist_colour);
    put(card, "case", alert.case);
    put(card, "id", String(alert.id));
  }

  function show(alert, raised) {
    let card = wall.querySelector(`[data-alert-id="${alert.id}"]`);
    if (card) {
      const fresh = card.classList.contains("fresh");
      fill(card, alert);
      card.classList.toggle("fresh", fresh);
      return;
    }
    card = template.content.firstElementChild.cloneNode(true);
    fill(card, alert);
    card.querySelector("img.crop").src = `/media/alerts/${alert.id}/crop`;
    card.querySelector("img.photo").src = `/media/alerts/${alert.id}/photo`;
    wall.prepend(card);
    if (empty) {
      empty.hidden = true;
    }
    if (raised) {
      card.classList.add("fresh");
      chime();
    }
  }

  function status(value, text) {
    if (state) {
      state.dataset.state = value;
      state.textContent = text;
    }
  }

  const source = new EventSource(wall.dataset.stream);
  source.addEventListener("open", () => status("live", "live"));
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      status("stopped", "live updates stopped: reload the page (or sign in again)");
    } else {
      status("connecting", "reconnecting…");
    }
  });
  ["raised", "extended", "reviewed"].forEach((kind) => {
    source.addEventListener(kind, (event) => show(JSON.parse(event.data), kind === "raised"));
  });
})();
