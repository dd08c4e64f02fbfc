/*
 * Hotspot layer on the zhian SVG map (js/map.js): grid cells from
 * GET /api/v1/incidents/hotspots drawn under the division labels. CSP-safe: no inline
 * script, no style attributes, colours come from css/app.css classes.
 *
 * Markup: the map element carries data-hotspots="/api/v1/incidents/hotspots?...".
 * Gi* cells are classed zh-hot-{bin} (bin -3..3; cells that are not significant, bin 0,
 * are left out); kernel density cells zh-density-{1..5} by fifths of the peak.
 * When drawn, the element gets data-hotspot-count="N" (and data-hotspot-error on failure).
 */
(function () {
  'use strict';

  const SVG_NS = 'http://www.w3.org/2000/svg';

  function finite(v) {
    return typeof v === 'number' && Number.isFinite(v);
  }

  function cellClass(props, method, peak) {
    if (method === 'kde') {
      if (!finite(props.density) || !(peak > 0)) return null;
      const level = Math.min(5, Math.max(1, Math.ceil((5 * props.density) / peak)));
      return 'zh-density-' + level;
    }
    const bin = props.bin;
    if (!Number.isInteger(bin) || bin === 0 || bin < -3 || bin > 3) return null;
    return 'zh-hot-' + bin;
  }

  function cellTitle(props, method) {
    const en = (document.documentElement.lang || '').toLowerCase().startsWith('en');
    const count = (en ? 'incidents ' : '警情 ') + props.count;
    if (method === 'kde') return count + (en ? ', density ' : '，密度 ') + props.density.toFixed(2) + '/km²';
    return count + ', z ' + props.z.toFixed(2) + ', p ' + props.p.toPrecision(2);
  }

  function draw(el, ctl, layer) {
    const svg = ctl.svg;
    let group = svg.querySelector('.zh-layer-hotspots');
    if (!group) {
      group = document.createElementNS(SVG_NS, 'g');
      group.setAttribute('class', 'zh-layer-hotspots');
      svg.insertBefore(group, svg.querySelector('.zh-layer-labels'));
    }
    const method = layer.method === 'kde' ? 'kde' : 'gi';
    let peak = 0;
    for (const f of layer.features) {
      const d = f && f.properties && f.properties.density;
      if (finite(d) && d > peak) peak = d;
    }
    const frag = document.createDocumentFragment();
    for (const f of layer.features) {
      const props = (f && f.properties) || {};
      const ring = f && f.geometry && f.geometry.type === 'Polygon' && f.geometry.coordinates[0];
      const cls = Array.isArray(ring) ? cellClass(props, method, peak) : null;
      if (!cls) continue;
      const pts = [];
      for (const p of ring) {
        const q = ctl.project(p[0], p[1]);
        if (!q) continue;
        pts.push(q.x.toFixed(2) + ' ' + q.y.toFixed(2));
      }
      if (pts.length < 4) continue;
      const path = document.createElementNS(SVG_NS, 'path');
      path.setAttribute('d', 'M' + pts.join('L') + 'Z');
      path.setAttribute('class', 'zh-hotspot ' + cls);
      const title = document.createElementNS(SVG_NS, 'title');
      title.textContent = cellTitle(props, method);
      path.appendChild(title);
      frag.appendChild(path);
    }
    group.replaceChildren(frag);
    el.setAttribute('data-hotspot-count', String(group.childElementCount));
  }

  async function load(el) {
    const ctl = window.zhMap && window.zhMap.init(el);
    if (!ctl || !ctl.svg) return;
    try {
      const url = new URL(el.getAttribute('data-hotspots'), document.baseURI);
      if (url.origin !== window.location.origin) throw new Error('not same-origin');
      const resp = await fetch(url.href, { credentials: 'same-origin', cache: 'no-store' });
      if (!resp.ok) throw new Error('HTTP ' + resp.status);
      const layer = await resp.json();
      if (!layer || !Array.isArray(layer.features)) throw new Error('not a FeatureCollection');
      draw(el, ctl, layer);
      el.removeAttribute('data-hotspot-error');
    } catch (err) {
      el.setAttribute('data-hotspot-error', String((err && err.message) || err).slice(0, 200));
    }
  }

  function whenReady(el) {
    // map.js sets data-ready="true" once the divisions are drawn and the projection exists.
    if (el.getAttribute('data-ready') === 'true') {
      load(el);
      return;
    }
    const watch = new MutationObserver(() => {
      if (el.getAttribute('data-ready') === 'true') {
        watch.disconnect();
        load(el);
      }
    });
    watch.observe(el, { attributes: true, attributeFilter: ['data-ready'] });
  }

  function initAll() {
    for (const el of document.querySelectorAll('[data-zh-map][data-hotspots]')) whenReady(el);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initAll);
  } else {
    initAll();
  }
})();
