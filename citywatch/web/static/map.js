// The camera map: cameras drawn on a plain <canvas> from their lat/lon, over the uploaded city
// map picture when there is one. Equirectangular projection (x = lon * cos(mid latitude),
// y = lat), fitted to the cameras and the picture with a margin: exact enough for a city. Data
// comes from this server only (GET data-source, then the picture); no tiles, no other site.
// Hover shows a camera's id and state, a click selects it in the side panel. The drawn points
// are published on the canvas as data-points (CSS pixels) so that tests can find them.
"use strict";

(function () {
  const canvas = document.getElementById("camera-map");
  if (!canvas) {
    return;
  }
  const frame = document.getElementById("map-frame");
  const tip = document.getElementById("map-tip");
  const status = document.getElementById("map-status");
  const selected = document.getElementById("map-selected");
  const snapshot = document.getElementById("map-snapshot");
  const COLOURS = {
    live: "#1c8a43",
    starting: "#4f7cab",
    stalled: "#d08a00",
    offline: "#c0392b",
    failed: "#6d0f0f",
    unknown: "#8c979f",
  };
  const MARGIN = 0.12; // of the drawn extent, on every side (without a city map picture)
  const PICTURE_MARGIN = 0.02; // the picture already frames the cameras
  const MIN_SPAN_DEG = 0.004; // about 400 m: one camera alone is not drawn at infinite zoom
  const HIT_PX = 12;
  const METRES_PER_DEG = 111320;
  let data = { cameras: [], map: null };
  let picture = null;
  let points = [];
  let chosen = null;
  let hovered = null;

  function say(text, failed) {
    status.textContent = text;
    status.classList.toggle("failed", Boolean(failed));
  }

  function extent() {
    const lats = data.cameras.map((c) => c.lat);
    const lons = data.cameras.map((c) => c.lon);
    if (data.map) {
      lats.push(data.map.south, data.map.north);
      lons.push(data.map.west, data.map.east);
    }
    if (!lats.length) {
      return null;
    }
    let south = Math.min(...lats);
    let north = Math.max(...lats);
    let west = Math.min(...lons);
    let east = Math.max(...lons);
    const midLat = (south + north) / 2;
    const midLon = (west + east) / 2;
    const cos = Math.cos((midLat * Math.PI) / 180);
    const latSpan = Math.max(north - south, MIN_SPAN_DEG);
    const lonSpan = Math.max(east - west, MIN_SPAN_DEG / Math.max(cos, 0.01));
    south = midLat - latSpan / 2;
    north = midLat + latSpan / 2;
    west = midLon - lonSpan / 2;
    east = midLon + lonSpan / 2;
    return { south, north, west, east, cos };
  }

  function projection(box, width, height) {
    // Plane units: x = lon * cos, y = lat. Fit the box plus its margin, keep the aspect ratio.
    const margin = data.map ? PICTURE_MARGIN : MARGIN;
    const spanX = (box.east - box.west) * box.cos * (1 + 2 * margin);
    const spanY = (box.north - box.south) * (1 + 2 * margin);
    const scale = Math.min(width / spanX, height / spanY); // pixels per plane unit
    const centreX = ((box.west + box.east) / 2) * box.cos;
    const centreY = (box.south + box.north) / 2;
    return {
      scale,
      x: (lon) => width / 2 + (lon * box.cos - centreX) * scale,
      y: (lat) => height / 2 - (lat - centreY) * scale,
      lon: (x) => ((x - width / 2) / scale + centreX) / box.cos,
      lat: (y) => centreY - (y - height / 2) / scale,
    };
  }

  function niceStep(span) {
    const raw = span / 8;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const steps = [1, 2, 5, 10].map((s) => s * power);
    return steps.find((s) => s >= raw) || 10 * power;
  }

  function graticule(context, project, width, height) {
    const west = project.lon(0);
    const east = project.lon(width);
    const north = project.lat(0);
    const south = project.lat(height);
    const step = niceStep(Math.max(east - west, north - south));
    const digits = Math.max(0, -Math.floor(Math.log10(step)));
    context.strokeStyle = "#d5dde3";
    context.fillStyle = "#7a8791";
    context.lineWidth = 1;
    context.font = "11px system-ui, 'DejaVu Sans', sans-serif";
    for (let lon = Math.ceil(west / step) * step; lon <= east; lon += step) {
      const x = Math.round(project.x(lon)) + 0.5;
      context.beginPath();
      context.moveTo(x, 0);
      context.lineTo(x, height);
      context.stroke();
      context.fillText(lon.toFixed(digits), x + 3, height - 4);
    }
    for (let lat = Math.ceil(south / step) * step; lat <= north; lat += step) {
      const y = Math.round(project.y(lat)) + 0.5;
      context.beginPath();
      context.moveTo(0, y);
      context.lineTo(width, y);
      context.stroke();
      context.fillText(lat.toFixed(digits), 3, y - 3);
    }
  }

  function scaleBar(context, project, height) {
    const metresPerPixel = METRES_PER_DEG / project.scale;
    const target = metresPerPixel * 120;
    const power = Math.pow(10, Math.floor(Math.log10(target)));
    const metres = [1, 2, 5, 10].map((s) => s * power).filter((m) => m <= target).pop() || power;
    const length = metres / metresPerPixel;
    const x = 14;
    const y = height - 22;
    context.fillStyle = "rgba(255, 255, 255, 0.85)";
    context.fillRect(x - 6, y - 16, length + 12, 26);
    context.strokeStyle = "#1d2329";
    context.lineWidth = 2;
    context.beginPath();
    context.moveTo(x, y - 4);
    context.lineTo(x, y);
    context.lineTo(x + length, y);
    context.lineTo(x + length, y - 4);
    context.stroke();
    context.fillStyle = "#1d2329";
    context.font = "11px system-ui, 'DejaVu Sans', sans-serif";
    const label = metres >= 1000 ? `${metres / 1000} km` : `${metres} m`;
    context.fillText(label, x + 2, y - 6);
  }

  function draw() {
    const width = frame.clientWidth;
    const tallest = Math.round(window.innerHeight * 0.7);
    const height = Math.max(320, Math.min(tallest, Math.round(width * 0.7)));
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.fillStyle = "#eef2f5";
    context.fillRect(0, 0, width, height);
    const box = extent();
    points = [];
    if (!box) {
      canvas.dataset.points = "[]";
      return;
    }
    const project = projection(box, width, height);
    if (data.map && picture && picture.complete && picture.naturalWidth) {
      const left = project.x(data.map.west);
      const top = project.y(data.map.north);
      context.drawImage(
        picture,
        left,
        top,
        project.x(data.map.east) - left,
        project.y(data.map.south) - top,
      );
    } else {
      graticule(context, project, width, height);
    }
    scaleBar(context, project, height);
    context.font = "600 12px system-ui, 'DejaVu Sans', sans-serif";
    context.lineJoin = "round";
    for (const camera of data.cameras) {
      const x = project.x(camera.lon);
      const y = project.y(camera.lat);
      points.push({ id: camera.id, x: Math.round(x), y: Math.round(y), camera });
      const emphasised = camera.id === chosen || camera.id === hovered;
      if (camera.id === chosen) {
        context.beginPath();
        context.arc(x, y, 13, 0, 2 * Math.PI);
        context.strokeStyle = "#17324d";
        context.lineWidth = 3;
        context.stroke();
      }
      context.beginPath();
      context.arc(x, y, emphasised ? 8 : 7, 0, 2 * Math.PI);
      context.fillStyle = COLOURS[camera.state] || COLOURS.unknown;
      context.fill();
      context.strokeStyle = "#ffffff";
      context.lineWidth = 2;
      context.stroke();
      context.strokeStyle = "rgba(255, 255, 255, 0.9)";
      context.lineWidth = 4;
      context.strokeText(camera.id, x + 11, y + 4);
      context.fillStyle = "#1d2329";
      context.fillText(camera.id, x + 11, y + 4);
    }
    canvas.dataset.points = JSON.stringify(points.map(({ id, x, y }) => ({ id, x, y })));
  }

  function near(event) {
    const rect = canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const y = event.clientY - rect.top;
    let best = null;
    let bestDistance = HIT_PX;
    for (const point of points) {
      const distance = Math.hypot(point.x - x, point.y - y);
      if (distance <= bestDistance) {
        best = point;
        bestDistance = distance;
      }
    }
    return best ? { point: best, x, y } : null;
  }

  function utc(iso) {
    const at = new Date(iso);
    return iso && !Number.isNaN(at.getTime())
      ? at.toISOString().slice(0, 19).replace("T", " ") + " UTC"
      : "";
  }

  function select(camera) {
    chosen = camera.id;
    const fields = {
      id: camera.id,
      name: camera.name,
      state: camera.state,
      since: utc(camera.since),
      group: camera.group,
      owner: camera.owner,
      position: `${camera.lat.toFixed(5)}, ${camera.lon.toFixed(5)}`,
    };
    for (const [field, value] of Object.entries(fields)) {
      const node = selected.querySelector(`[data-field="${field}"]`);
      if (node) {
        node.textContent = value;
      }
    }
    const state = selected.querySelector('[data-field="state"]');
    state.className = `health health-${camera.state}`;
    snapshot.href = `/cameras?snapshot=${encodeURIComponent(camera.id)}#snapshot`;
    snapshot.hidden = false;
    draw();
  }

  canvas.addEventListener("mousemove", (event) => {
    const found = near(event);
    const id = found ? found.point.id : null;
    canvas.style.cursor = found ? "pointer" : "default";
    if (found) {
      tip.textContent = `${found.point.id} · ${found.point.camera.state}`;
      tip.style.left = `${found.point.x + 14}px`;
      tip.style.top = `${found.point.y - 30}px`;
      tip.hidden = false;
    } else {
      tip.hidden = true;
    }
    if (id !== hovered) {
      hovered = id;
      draw();
    }
  });
  canvas.addEventListener("mouseleave", () => {
    tip.hidden = true;
    if (hovered !== null) {
      hovered = null;
      draw();
    }
  });
  canvas.addEventListener("click", (event) => {
    const found = near(event);
    if (found) {
      select(found.point.camera);
    }
  });
  window.addEventListener("resize", draw);

  fetch(canvas.dataset.source, { credentials: "same-origin", cache: "no-store" })
    .then((response) => {
      if (!response.ok) {
        return response.json().then(
          (body) => Promise.reject(new Error(body.detail || `HTTP ${response.status}`)),
          () => Promise.reject(new Error(`HTTP ${response.status}`)),
        );
      }
      return response.json();
    })
    .then((body) => {
      data = body;
      const count = data.cameras.length;
      say(count ? `${count} camera${count === 1 ? "" : "s"} drawn` : "no camera has a position yet");
      canvas.dataset.ready = "true";
      if (data.map) {
        picture = new Image();
        picture.addEventListener("load", () => {
          canvas.dataset.picture = "loaded";
          draw();
        });
        picture.addEventListener("error", () => say("the city map picture could not be loaded", true));
        picture.src = data.map.url;
      }
      draw();
    })
    .catch((error) => {
      say(`camera positions could not be loaded: ${error.message}`, true);
      canvas.dataset.ready = "failed";
    });
})();
