/*
 * Expressway stretches on the transport page's map (js/map.js): their bands drawn under the
 * vehicles, and, for those who may register one, the centreline drawn by clicking the map.
 * Static, CSP-clean (no inline script or style); the server validates what is submitted.
 *
 * Markup (see transport/index.html):
 *   <div class="zh-map" data-zh-map ... data-expressways='[{"id", "name", "code",
 *        "centreline": LineString, "area": Polygon}, ...]'></div>
 *   <details class="zh-draw"><form data-zh-expressway-form>
 *     <output data-draft-count data-template="已绘 {n} 个点" data-invalid="..."></output>
 *     <button data-undo></button> <button data-clear></button>
 *     <textarea name="centreline"></textarea>
 *   </form></details>
 *
 * While the form's <details> is open, each click on the map appends a point to the
 * centreline; the textarea always holds the drawn line as GeoJSON, and a LineString pasted
 * into it is drawn in turn. The map element gets data-expressway-count (bands drawn) and
 * data-draft-points (points of the line being drawn).
 */
(function () {
  'use strict';

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const DIGITS = 6; // about 0.1 m: more is noise from the pointer

  function svgEl(name, attrs) {
    const node = document.createElementNS(SVG_NS, name);
    for (const key of Object.keys(attrs || {})) node.setAttribute(key, String(attrs[key]));
    return node;
  }

  function finite(v) {
    return typeof v === 'number' && Number.isFinite(v);
  }

  function validPoint(p) {
    return Array.isArray(p) && p.length >= 2 && finite(p[0]) && finite(p[1]);
  }

  function linePath(coords, ctl) {
    let d = '';
    for (const p of coords) {
      if (!validPoint(p)) continue;
      const q = ctl.project(p[0], p[1]);
      if (q) d += (d ? 'L' : 'M') + q.x.toFixed(2) + ' ' + q.y.toFixed(2);
    }
    return d;
  }

  /* Zero-length segments with round caps: dots of a constant size on screen at every zoom. */
  function dotsPath(coords, ctl) {
    let d = '';
    for (const p of coords) {
      const q = ctl.project(p[0], p[1]);
      if (q) d += 'M' + q.x.toFixed(2) + ' ' + q.y.toFixed(2) + 'h0';
    }
    return d;
  }

  /* A LineString's coordinates from pasted text (a geometry or a Feature), else null. */
  function parseLine(text) {
    let value;
    try {
      value = JSON.parse(text);
    } catch (_) {
      return null;
    }
    if (value && value.type === 'Feature') value = value.geometry;
    if (!value || value.type !== 'LineString' || !Array.isArray(value.coordinates)) return null;
    return value.coordinates.every(validPoint) ? value.coordinates.map((p) => [p[0], p[1]]) : null;
  }

  function whenReady(mapEl, then) {
    if (mapEl.getAttribute('data-ready') === 'true') {
      then(window.zhMap.init(mapEl));
      return;
    }
    const watch = new MutationObserver(() => {
      if (mapEl.getAttribute('data-ready') === 'true') {
        watch.disconnect();
        then(window.zhMap.init(mapEl));
      }
    });
    watch.observe(mapEl, { attributes: true, attributeFilter: ['data-ready'] });
  }

  function drawBands(mapEl, ctl, layer) {
    let roads = [];
    try {
      roads = JSON.parse(mapEl.getAttribute('data-expressways') || '[]');
    } catch (_) {
      roads = [];
    }
    let count = 0;
    for (const road of Array.isArray(roads) ? roads : []) {
      const area = road && road.area;
      if (!area || area.type !== 'Polygon' || !Array.isArray(area.coordinates)) continue;
      let d = '';
      for (const ring of area.coordinates) d += linePath(ring, ctl) + 'Z';
      const band = svgEl('path', {
        class: 'zh-expressway-band',
        d,
        'fill-rule': 'evenodd',
        'data-expressway-id': road.id,
      });
      const title = svgEl('title');
      title.textContent = [road.code, road.name].filter(Boolean).join(' ');
      band.appendChild(title);
      layer.appendChild(band);
      if (road.centreline && Array.isArray(road.centreline.coordinates)) {
        layer.appendChild(
          svgEl('path', { class: 'zh-expressway-line', d: linePath(road.centreline.coordinates, ctl) })
        );
      }
      count += 1;
    }
    mapEl.setAttribute('data-expressway-count', String(count));
  }

  function drawing(mapEl, ctl, layer, form) {
    const box = form.closest('details');
    const field = form.querySelector('textarea[name=centreline]');
    const counter = form.querySelector('[data-draft-count]');
    const undo = form.querySelector('[data-undo]');
    const clear = form.querySelector('[data-clear]');
    const line = svgEl('path', { class: 'zh-expressway-draft', d: '' });
    const dots = svgEl('path', { class: 'zh-expressway-vertex', d: '' });
    layer.append(line, dots);
    let points = parseLine(field.value) || [];

    function show(invalid) {
      line.setAttribute('d', linePath(points, ctl));
      dots.setAttribute('d', dotsPath(points, ctl));
      mapEl.setAttribute('data-draft-points', String(points.length));
      if (invalid) {
        counter.textContent = counter.getAttribute('data-invalid');
        counter.setAttribute('data-state', 'invalid');
      } else {
        counter.textContent = counter.getAttribute('data-template').replace('{n}', String(points.length));
        counter.setAttribute('data-state', 'ok');
      }
      undo.disabled = points.length === 0;
      clear.disabled = points.length === 0 && !field.value;
    }

    function write() {
      field.value = points.length
        ? JSON.stringify({ type: 'LineString', coordinates: points })
        : '';
      show(false);
    }

    mapEl.addEventListener('zh-map-pick', (e) => {
      if (box && !box.open) return;
      const at = e.detail;
      if (!at || !finite(at.lon) || !finite(at.lat)) return;
      points.push([Number(at.lon.toFixed(DIGITS)), Number(at.lat.toFixed(DIGITS))]);
      write();
    });
    undo.addEventListener('click', () => {
      points.pop();
      write();
    });
    clear.addEventListener('click', () => {
      points = [];
      write();
    });
    field.addEventListener('input', () => {
      const pasted = field.value.trim() ? parseLine(field.value) : [];
      if (pasted) points = pasted;
      show(pasted === null);
    });
    show(Boolean(field.value.trim()) && parseLine(field.value) === null);
  }

  function start(mapEl) {
    whenReady(mapEl, (ctl) => {
      if (!ctl || !ctl.svg) return;
      const layer = svgEl('g', { class: 'zh-layer-expressways' });
      // Under the vehicles, so they stay clickable; above the divisions they run through.
      ctl.svg.insertBefore(layer, ctl.svg.querySelector('.zh-layer-labels'));
      drawBands(mapEl, ctl, layer);
      const form = document.querySelector('[data-zh-expressway-form]');
      if (form) drawing(mapEl, ctl, layer, form);
    });
  }

  function initAll() {
    for (const el of document.querySelectorAll('[data-zh-map][data-expressways]')) start(el);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initAll);
  } else {
    initAll();
  }
})();
