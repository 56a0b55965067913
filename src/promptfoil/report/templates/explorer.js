/* promptfoil trace explorer: chart, table and candidate view of each item's search trace.
   Data: one JSON script element per item, id "trace-N" (see report/explorer.py).
   Every model or prompt string reaches the page through textContent, never as markup.
   An item is drawn when it first scrolls near the viewport. */
(function () {
  "use strict";

  var W = 560, H = 250, L = 58, R = 14, T = 14, PB = 184, LANE = 204, AX = 226;
  var COLOURS = 6;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function sv(svg, tag, attrs, cls) {
    var e = document.createElementNS(svg.namespaceURI, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    if (cls) e.setAttribute("class", cls);
    svg.appendChild(e);
    return e;
  }

  function fmt(x) { return x === null ? "—" : x.toFixed(3); }

  /* -- data ---------------------------------------------------------------------------- */

  function decode(raw) {
    var s = raw.s;
    var cands = raw.c.map(function (r, i) {
      return {
        i: i, step: r[0], stage: s[r[1]], prompt: s[r[2]], edits: r[3], status: s[r[4]],
        paid: s[r[5]], response: r[6] < 0 ? null : s[r[6]], score: r[7], parent: r[8],
        reason: r.length > 9 && r[9] >= 0 ? s[r[9]] : ""
      };
    });
    return {
      prompt: s[raw.p], response: s[raw.r], th: raw.th, dir: raw.dir, found: raw.found,
      win: raw.win, cands: cands
    };
  }

  function reached(d, score) {
    if (score === null || d.th === null) return false;
    if (d.dir === "decrease") return score <= d.th;
    if (d.dir === "absolute") return Math.abs(score) >= d.th;
    return score >= d.th;
  }

  function objective(d, score) {
    if (d.dir === "decrease") return -score;
    if (d.dir === "absolute") return Math.abs(score);
    return score;
  }

  /* -- word diff (longest common subsequence of words) ---------------------------------- */

  function tokens(t) { return t.match(/\s+|\S+/g) || []; }

  function wordDiff(a, b) {
    var x = tokens(a), y = tokens(b), ops = [];
    var p = 0;
    while (p < x.length && p < y.length && x[p] === y[p]) p++;
    var q = 0;
    while (q < x.length - p && q < y.length - p && x[x.length - 1 - q] === y[y.length - 1 - q]) q++;
    var xs = x.slice(p, x.length - q), ys = y.slice(p, y.length - q);
    var n = xs.length, m = ys.length, mid = [];
    if (n * m > 4000000) {
      xs.forEach(function (t) { mid.push(["del", t]); });
      ys.forEach(function (t) { mid.push(["ins", t]); });
    } else {
      var dp = new Uint32Array((n + 1) * (m + 1));
      for (var i = n - 1; i >= 0; i--)
        for (var j = m - 1; j >= 0; j--)
          dp[i * (m + 1) + j] = xs[i] === ys[j] ? dp[(i + 1) * (m + 1) + j + 1] + 1
            : Math.max(dp[(i + 1) * (m + 1) + j], dp[i * (m + 1) + j + 1]);
      var a0 = 0, b0 = 0;
      while (a0 < n || b0 < m) {
        if (a0 < n && b0 < m && xs[a0] === ys[b0]) { mid.push(["eq", xs[a0]]); a0++; b0++; }
        else if (b0 >= m || (a0 < n && dp[(a0 + 1) * (m + 1) + b0] >= dp[a0 * (m + 1) + b0 + 1])) { mid.push(["del", xs[a0]]); a0++; }
        else { mid.push(["ins", ys[b0]]); b0++; }
      }
    }
    if (p) ops.push(["eq", x.slice(0, p).join("")]);
    mid.forEach(function (o) {
      var last = ops[ops.length - 1];
      if (last && last[0] === o[0]) last[1] += o[1]; else ops.push([o[0], o[1]]);
    });
    if (q) ops.push(["eq", x.slice(x.length - q).join("")]);
    return ops;
  }

  /* share of words the two texts have in common (LCS words, both sides counted) */
  function sharedWords(ops, a, b) {
    function count(t) { return (t.match(/\S+/g) || []).length; }
    var eq = 0;
    ops.forEach(function (o) { if (o[0] === "eq") eq += count(o[1]); });
    var all = count(a) + count(b);
    return all ? 2 * eq / all : 1;
  }

  /* two answers with little in common: each whole, side by side (a word diff would interleave them) */
  var SIDE_BY_SIDE_BELOW = 0.4;

  function sideBySide(box, a, b) {
    box.classList.add("side");
    box.appendChild(el("del", "side-old", a));
    box.appendChild(el("ins", "side-new", b));
  }

  function showOps(box, ops) {
    ops.forEach(function (o) {
      box.appendChild(o[0] === "eq" ? document.createTextNode(o[1]) : el(o[0], null, o[1]));
    });
  }

  /* prompt vs original: each edit as a del element (old text) and an ins element (new), or a word diff */
  function promptDiff(box, d, c) {
    var e = c.edits;
    if (!e.length) { showOps(box, wordDiff(d.prompt, c.prompt)); return; }
    var pos = 0;
    for (var k = 0; k < e.length; k += 4) {
      box.appendChild(document.createTextNode(d.prompt.slice(pos, e[k])));
      var colour = "e" + ((k / 4) % COLOURS);
      if (e[k + 1] > e[k]) box.appendChild(el("del", colour, d.prompt.slice(e[k], e[k + 1])));
      if (e[k + 3] > e[k + 2]) box.appendChild(el("ins", colour, c.prompt.slice(e[k + 2], e[k + 3])));
      pos = e[k + 1];
    }
    box.appendChild(document.createTextNode(d.prompt.slice(pos)));
  }

  /* the candidate prompt, edits coloured, long unedited stretches shortened */
  function excerpt(td, c) {
    var t = c.prompt, e = c.edits, pos = 0;
    function plain(s, first, last) {
      var keep = 30;
      if (s.length <= 2 * keep + 3) { td.appendChild(document.createTextNode(s)); return; }
      if (!first) td.appendChild(document.createTextNode(s.slice(0, keep).replace(/\S*$/, "")));
      td.appendChild(el("span", "ell", "…"));
      if (!last) td.appendChild(document.createTextNode(s.slice(s.length - keep).replace(/^\S*/, "")));
    }
    if (!e.length) { plain(t, false, true); return; }
    for (var k = 0; k < e.length; k += 4) {
      plain(t.slice(pos, e[k + 2]), k === 0, false);
      td.appendChild(el("span", "e" + ((k / 4) % COLOURS), t.slice(e[k + 2], e[k + 3])));
      pos = e[k + 3];
    }
    plain(t.slice(pos), false, true);
  }

  /* -- one item ----------------------------------------------------------------------- */

  function Explorer(root, data) {
    this.root = root;
    this.d = data;
    this.svg = root.querySelector("svg.chart");
    this.detail = root.querySelector(".ex-detail");
    this.tbody = root.querySelector(".ex-table tbody");
    this.filter = root.querySelector(".ex-filter");
    this.count = root.querySelector(".ex-count");
    this.sortKey = "i";
    this.sortDir = 1;
    this.selected = -1;
    this.rows = [];
  }

  Explorer.prototype.winLabel = function () { return this.d.found ? "winner" : "best"; };

  Explorer.prototype.chart = function () {
    var d = this.d, svg = this.svg, n = d.cands.length;
    var scores = d.cands.filter(function (c) { return c.score !== null; }).map(function (c) { return c.score; });
    var lo = Math.min.apply(null, [0].concat(scores)), hi = Math.max.apply(null, [0].concat(scores));
    if (d.th !== null) { lo = Math.min(lo, d.th); hi = Math.max(hi, d.th); if (d.dir === "absolute") lo = Math.min(lo, -d.th); }
    if (hi - lo < 1e-9) hi = lo + 1;
    var step = niceStep((hi - lo) / 5), decimals = Math.max(0, Math.ceil(-Math.log(step) / Math.LN10 - 1e-9));
    lo = Math.floor(lo / step + 1e-9) * step; hi = Math.ceil(hi / step - 1e-9) * step;  /* whole ticks at both ends */
    var pad = (hi - lo) * 0.04; lo -= pad; hi += pad;
    var xw = (W - L - R) / Math.max(n, 1);
    function X(i) { return L + (i + 0.5) * xw; }
    function Y(v) { return PB - (v - lo) / (hi - lo) * (PB - T); }
    for (var v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) {
      sv(svg, "line", { x1: L, x2: W - R, y1: Y(v), y2: Y(v) }, "grid");
      sv(svg, "text", { x: L - 6, y: Y(v) + 4, "text-anchor": "end" }).textContent = (Math.abs(v) < 1e-9 ? 0 : v).toFixed(decimals);
    }
    sv(svg, "line", { x1: L, x2: L, y1: T, y2: PB }, "axis");
    sv(svg, "line", { x1: L, x2: W - R, y1: PB, y2: PB }, "axis");
    sv(svg, "rect", { x: L, y: LANE - 9, width: W - L - R, height: 18 }, "lane");
    sv(svg, "text", { x: L - 6, y: LANE + 4, "text-anchor": "end" }).textContent = "no score";
    var every = Math.max(1, Math.ceil(n / 10));
    for (var i = 0; i < n; i += every) sv(svg, "text", { x: X(i), y: AX, "text-anchor": "middle" }).textContent = String(i + 1);
    sv(svg, "text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle" }).textContent = "query # (trace order)";
    sv(svg, "text", { x: 12, y: (T + PB) / 2, "text-anchor": "middle", transform: "rotate(-90 12 " + (T + PB) / 2 + ")" }).textContent = "score";
    if (d.th !== null) {
      var ths = d.dir === "absolute" ? [d.th, -d.th] : [d.th];
      ths.forEach(function (t) { sv(svg, "line", { x1: L, x2: W - R, y1: Y(t), y2: Y(t) }, "thr"); });
      sv(svg, "text", { x: L + 4, y: Y(d.th) - 5 }, "thr-label").textContent = "δ = " + d.th;
    }
    /* best so far as a step (as its legend): flat until a better score, then straight up or down */
    var best = null, pts = [], lastX = null;
    d.cands.forEach(function (c) {
      if (c.score === null) return;
      lastX = X(c.i).toFixed(1);
      if (best !== null && objective(d, c.score) <= objective(d, best)) return;
      if (best !== null) pts.push(lastX + "," + Y(best).toFixed(1));
      best = c.score;
      pts.push(lastX + "," + Y(best).toFixed(1));
    });
    if (best !== null && pts[pts.length - 1] !== lastX + "," + Y(best).toFixed(1)) pts.push(lastX + "," + Y(best).toFixed(1));
    if (pts.length > 1) sv(svg, "polyline", { points: pts.join(" ") }, "best");
    d.cands.forEach(function (c) {
      var p, tip;
      if (c.score === null) {
        var x = X(c.i), r = 4;
        p = sv(svg, "path", { d: "M" + (x - r) + " " + (LANE - r) + "L" + (x + r) + " " + (LANE + r) + "M" + (x + r) + " " + (LANE - r) + "L" + (x - r) + " " + (LANE + r) },
          "pt nos " + c.status);
        tip = "#" + (c.i + 1) + ": " + c.status + ", no score";
      } else {
        var cls = "pt scored " + (c.paid === "cache" ? "cache" : "budget") + (reached(d, c.score) ? " hit" : "");
        p = sv(svg, "circle", { cx: X(c.i), cy: Y(c.score), r: 4.5 }, cls);
        tip = "#" + (c.i + 1) + ": score " + fmt(c.score) + " (" + (c.paid === "cache" ? "cache hit" : "paid by " + c.paid) + ")";
      }
      p.setAttribute("data-i", String(c.i));
      sv(p, "title", {}).textContent = tip;
    });
    if (d.win >= 0) {
      var w = d.cands[d.win];
      sv(svg, "circle", { cx: X(w.i), cy: Y(w.score), r: 9 }, "win-ring");
      var right = X(w.i) < (L + W - R) / 2;  /* the label on the side with more room */
      sv(svg, "text", { x: X(w.i) + (right ? 13 : -13), y: Y(w.score) + 4, "text-anchor": right ? "start" : "end" },
        "win-label").textContent = this.winLabel();
    }
    this.selRing = sv(svg, "circle", { cx: -50, cy: -50, r: 8 }, "sel-ring");
    this.X = X; this.Y = Y;
  };

  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
  }

  Explorer.prototype.table = function () {
    var self = this, seen = {};
    this.rows = this.d.cands.map(function (c) {
      var tr = el("tr", (c.score === null ? "nos " : "") + (reached(self.d, c.score) ? "hit" : ""));
      tr.setAttribute("data-i", String(c.i));
      tr.setAttribute("data-status", c.status);
      tr.tabIndex = 0;
      var first = el("td", "num", String(c.i + 1));
      if (c.i === self.d.win) first.appendChild(el("span", self.d.found ? "tag" : "tag best", self.winLabel()));
      tr.appendChild(first);
      tr.appendChild(el("td", "num", String(c.step)));
      tr.appendChild(el("td", "nowrap", c.stage));
      var td = el("td", "txt");
      excerpt(td, c);
      tr.appendChild(td);
      tr.appendChild(el("td", "num score", fmt(c.score)));
      tr.appendChild(el("td", null, c.status));
      tr.appendChild(el("td", null, c.paid));
      seen[c.status] = (seen[c.status] || 0) + 1;
      return tr;
    });
    Object.keys(seen).sort().forEach(function (s) {
      var o = el("option", null, s + " (" + seen[s] + ")");
      o.value = s;
      self.filter.appendChild(o);
    });
    this.arrange();
  };

  Explorer.prototype.arrange = function () {
    var key = this.sortKey, dir = this.sortDir, cands = this.d.cands, want = this.filter.value, shown = 0;
    var order = cands.slice().sort(function (a, b) {
      if (key === "score") {
        if (a.score === null || b.score === null) return (a.score === null) - (b.score === null) || a.i - b.i;
        return dir * (a.score - b.score) || a.i - b.i;
      }
      if (key === "step") return dir * (a.step - b.step) || dir * (a.i - b.i);
      return dir * (a.i - b.i);
    });
    var frag = document.createDocumentFragment(), rows = this.rows;
    order.forEach(function (c) {
      var tr = rows[c.i];
      tr.hidden = want !== "" && c.status !== want;
      if (!tr.hidden) shown++;
      frag.appendChild(tr);
    });
    this.tbody.appendChild(frag);
    this.count.textContent = shown + " of " + cands.length + " candidates";
    var ths = this.root.querySelectorAll("th[data-key]");
    for (var k = 0; k < ths.length; k++)
      if (ths[k].getAttribute("data-key") === key) ths[k].setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      else ths[k].removeAttribute("aria-sort");
  };

  Explorer.prototype.sortBy = function (key) {
    if (this.sortKey === key) this.sortDir = -this.sortDir;
    else { this.sortKey = key; this.sortDir = key === "score" ? -1 : 1; }
    this.arrange();
  };

  Explorer.prototype.path = function (i) {
    var out = [], seen = {};
    while (i >= 0 && !seen[i]) { seen[i] = true; out.unshift(i); i = this.d.cands[i].parent; }
    return out;
  };

  Explorer.prototype.select = function (i) {
    var d = this.d, c = d.cands[i];
    if (!c) return;
    if (this.selected >= 0) this.rows[this.selected].classList.remove("sel");
    this.selected = i;
    this.rows[i].classList.add("sel");
    if (c.score !== null) { this.selRing.setAttribute("cx", String(this.X(i))); this.selRing.setAttribute("cy", String(this.Y(c.score))); }
    else { this.selRing.setAttribute("cx", "-50"); this.selRing.setAttribute("cy", "-50"); }

    var box = this.detail;
    box.textContent = "";
    var h = el("h3", null, "candidate #" + (i + 1));
    if (i === d.win) h.appendChild(el("span", d.found ? "tag" : "tag best", this.winLabel()));
    box.appendChild(h);
    box.appendChild(el("div", "facts", "step " + c.step + " · " + c.stage + " · score " + fmt(c.score) +
      (reached(d, c.score) ? " (reaches δ)" : "") + " · " + c.status + " · paid by " + c.paid));

    box.appendChild(el("div", "label", "path from the original prompt"));
    var ol = el("ol", "path");
    ol.appendChild(el("li", null, "original"));
    this.path(i).forEach(function (k) {
      var li = el("li"), b = el("button", null, "#" + (k + 1));
      b.type = "button";
      b.setAttribute("data-i", String(k));
      b.title = (d.cands[k].edits.length / 4) + " edit(s), score " + fmt(d.cands[k].score);
      if (k === i) b.disabled = true;
      li.appendChild(b);
      ol.appendChild(li);
    });
    box.appendChild(ol);

    box.appendChild(el("div", "label", "prompt vs original"));
    var pb = el("div", "box cand-prompt");
    promptDiff(pb, d, c);
    box.appendChild(pb);

    var rlabel = el("div", "label", "response vs original response");
    box.appendChild(rlabel);
    var rb = el("div", "box cand-response"), rops = null;
    if (c.response !== null && c.response !== d.response) {
      rops = wordDiff(d.response, c.response);
      if (sharedWords(rops, d.response, c.response) < SIDE_BY_SIDE_BELOW) {
        rlabel.textContent = "response vs original response (little in common: side by side)";
        rops = null;
      }
    }
    if (c.response === null) rb.appendChild(el("span", "muted", "no response: " + c.status + (c.reason ? " (" + c.reason + ")" :
      c.status === "skipped" ? " (a contrast was found first)" : c.status === "over-budget" ? " (the budget was spent)" : "")));
    else if (c.response === d.response) { rb.appendChild(el("span", "muted", "(same as the original) ")); rb.appendChild(document.createTextNode(c.response)); }
    else if (rops === null) sideBySide(rb, d.response, c.response);
    else showOps(rb, rops);
    box.appendChild(rb);
  };

  Explorer.prototype.wire = function () {
    var self = this;
    this.root.addEventListener("click", function (ev) {
      var t = ev.target;
      var th = t.closest ? t.closest("th[data-key]") : null;
      if (th) { self.sortBy(th.getAttribute("data-key")); return; }
      var hit = t.closest ? t.closest("[data-i]") : null;
      if (hit && self.root.contains(hit)) self.select(Number(hit.getAttribute("data-i")));
    });
    this.root.addEventListener("keydown", function (ev) {
      if ((ev.key === "Enter" || ev.key === " ") && ev.target.tagName === "TR") {
        ev.preventDefault();
        self.select(Number(ev.target.getAttribute("data-i")));
      }
    });
    this.filter.addEventListener("change", function () { self.arrange(); });
  };

  function start(root) {
    if (root.getAttribute("data-ready")) return;
    root.setAttribute("data-ready", "1");
    var t0 = performance.now();
    var src = document.getElementById(root.getAttribute("data-trace"));
    var ex = new Explorer(root, decode(JSON.parse(src.textContent)));
    ex.chart();
    ex.table();
    ex.wire();
    var first = ex.d.win >= 0 ? ex.d.win : 0;
    if (ex.d.cands.length) ex.select(first);
    performance.measure("promptfoil-explorer", { start: t0, end: performance.now() });
  }

  var roots = document.querySelectorAll(".explorer[data-trace]");
  if (!("IntersectionObserver" in window)) { for (var k = 0; k < roots.length; k++) start(roots[k]); return; }
  var io = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) { io.unobserve(e.target); start(e.target); } });
  }, { rootMargin: "400px 0px" });
  for (var j = 0; j < roots.length; j++) io.observe(roots[j]);
})();
