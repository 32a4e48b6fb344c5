/* 一屏尽览: draws the dashboard's charts and map with the vendored ECharts.
 * The figures come from the page (a JSON data block written by the server, so the CSP
 * needs no inline script); every bar, point and region links to the records behind it.
 * In big-screen mode the page also keeps a clock and refreshes its figures every minute. */
(function () {
  "use strict";

  var charts = [];
  var mapSeq = 0;
  var animate = true;  // the first drawing moves; a wall's minutely refresh does not flicker

  function readData() {
    var el = document.getElementById("dashboard-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function theme(dark) {
    return dark
      ? { text: "#c9d6e8", axis: "#4a6283", split: "rgba(120,150,190,.18)", bar: "#3fa7ff",
          barAlt: "#f6c343", line: "#3fa7ff", lineAlt: "#8a9bb4",
          map: ["#14365c", "#1d6fb0", "#f6c343", "#ff6b4a"], border: "#7fb3e6",
          pie: ["#3fa7ff", "#f6c343", "#40c9a2", "#ff6b4a", "#a48bff", "#5bd1ff", "#ffa95e", "#8a9bb4"],
          fontSize: 15 }
      : { text: "#334e68", axis: "#9fb3c8", split: "#e4ebf3", bar: "#1565a8",
          barAlt: "#c0392b", line: "#1565a8", lineAlt: "#9fb3c8",
          map: ["#f2f6fb", "#9cc3e6", "#f0a35e", "#c0392b"], border: "#ffffff",
          pie: ["#1565a8", "#f0a35e", "#1e7f4f", "#c0392b", "#7b61c9", "#4aa3df", "#b7791f", "#9fb3c8"],
          fontSize: 12 };
  }

  function go(url) {
    if (url) window.location.href = url;
  }

  function make(el, dark) {
    var chart = echarts.init(el, dark ? "dark" : null, { renderer: "canvas" });
    charts.push(chart);
    chart.on("finished", function () { el.setAttribute("data-drawn", "1"); });
    return chart;
  }

  function axisStyle(t) {
    return {
      axisLine: { lineStyle: { color: t.axis } },
      axisLabel: { color: t.text, fontSize: t.fontSize },
      splitLine: { lineStyle: { color: t.split } },
    };
  }

  function base(t) {
    return {
      animation: animate,
      backgroundColor: "transparent",
      textStyle: { fontFamily: "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" },
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      tooltip: { trigger: "item", confine: true },
    };
  }

  function empty(el, data) {
    el.classList.add("chart-empty");
    el.textContent = data.labels.no_data;
    el.setAttribute("data-drawn", "1");
  }

  // The width of the longest word of the names (Latin words only: Chinese may wrap
  // between any two characters), so labels are never narrower than a word.
  var measure = document.createElement("canvas").getContext("2d");
  function widestWord(names, fontSize) {
    measure.font = fontSize + "px sans-serif";
    var widest = 0;
    names.forEach(function (name) {
      (String(name).match(/[^\s\u2e80-\u9fff\uff00-\uffef]+/g) || []).forEach(function (w) {
        widest = Math.max(widest, Math.ceil(measure.measureText(w).width));
      });
    });
    return widest;
  }

  function bars(el, data, t) {
    var rows = data.categories;
    if (!rows.length) return empty(el, data);
    var chart = make(el, data.dark);
    var option = base(t);
    // On the wall the bars lie down: long category names stay readable from afar.
    var across = data.dark;
    var names = Object.assign({ type: "category", data: rows.map(function (r) { return r.name; }),
      axisTick: { show: false }, inverse: across }, axisStyle(t));
    names.axisLabel.interval = 0;
    if (!across) {  // long (English) names wrap inside their own slot instead of overlapping
      var slot = Math.max(40, el.clientWidth / rows.length - 12);
      var word = widestWord(rows.map(function (r) { return r.name; }), t.fontSize);
      if (word <= slot) {
        names.axisLabel.width = slot;
        names.axisLabel.overflow = "break";
      } else {
        // ECharts breaks a word that does not fit its width anywhere ("Crimina l"):
        // slant the names instead, whole.
        names.axisLabel.rotate = 30;
      }
    }
    var values = Object.assign({ type: "value", minInterval: 1 }, axisStyle(t));
    option.xAxis = across ? values : names;
    option.yAxis = across ? names : values;
    option.tooltip.formatter = function (p) {
      return p.name + "：" + p.value + (p.data.url ? "<br>" + data.labels.records : "");
    };
    option.series = [{
      type: "bar", barMaxWidth: across ? 22 : 36, name: data.labels.incidents,
      itemStyle: { color: t.bar, borderRadius: across ? [0, 3, 3, 0] : [3, 3, 0, 0] },
      label: { show: true, position: across ? "right" : "top", color: t.text, fontSize: t.fontSize },
      data: rows.map(function (r) { return { value: r.value, url: r.url }; }),
    }];
    chart.setOption(option);
    chart.on("click", function (p) { go(p.data && p.data.url); });
  }

  function trend(el, data, t) {
    var d = data.trend;
    var chart = make(el, data.dark);
    var option = base(t);
    option.tooltip = { trigger: "axis", confine: true };
    option.legend = { top: 0, right: 0, textStyle: { color: t.text, fontSize: t.fontSize } };
    option.grid.top = 36;
    option.xAxis = Object.assign({ type: "category", data: d.months, boundaryGap: true }, axisStyle(t));
    option.yAxis = Object.assign({ type: "value", minInterval: 1 }, axisStyle(t));
    function series(name, values, urls, color, dashed) {
      return {
        type: "line", name: name, smooth: true, smoothMonotone: "x", symbolSize: 7,
        lineStyle: { color: color, width: dashed ? 2 : 3, type: dashed ? "dashed" : "solid" },
        itemStyle: { color: color },
        areaStyle: dashed ? undefined : { color: color, opacity: 0.08 },
        data: values.map(function (v, i) { return { value: v, url: urls[i] }; }),
      };
    }
    option.series = [
      series(d.names[0], d.current, d.current_urls, t.line, false),
      series(d.names[1], d.previous, d.previous_urls, t.lineAlt, true),
    ];
    chart.setOption(option);
    chart.on("click", function (p) { go(p.data && p.data.url); });
  }

  function daily(el, data, t) {
    var d = data.daily;
    if (!d) return empty(el, data);
    var chart = make(el, data.dark);
    var option = base(t);
    option.tooltip.formatter = function (p) {
      return p.name + "：" + p.value + (p.data.url ? "<br>" + data.labels.records : "");
    };
    option.xAxis = Object.assign({ type: "category", data: d.days, axisTick: { show: false } }, axisStyle(t));
    option.yAxis = Object.assign({ type: "value", minInterval: 1 }, axisStyle(t));
    option.series = [{
      type: "bar", name: d.name, barMaxWidth: 18,
      itemStyle: { color: t.bar, borderRadius: [2, 2, 0, 0] },
      data: d.values.map(function (v, i) { return { value: v, url: d.urls[i] }; }),
    }];
    chart.setOption(option);
    chart.on("click", function (p) { go(p.data && p.data.url); });
  }

  function pie(el, data, t) {
    var rows = data.disputes;
    if (!rows.length) return empty(el, data);
    var chart = make(el, data.dark);
    var option = base(t);
    option.color = t.pie;
    option.tooltip.formatter = function (p) {
      return p.name + "：" + p.value + "（" + p.percent + "%）" + (p.data.url ? "<br>" + data.labels.records : "");
    };
    option.series = [{
      type: "pie", radius: ["30%", "55%"], center: ["50%", "52%"], avoidLabelOverlap: true,
      // Labels sit at the panel's edges and wrap there, so long (English) names stay inside.
      label: { color: t.text, fontSize: t.fontSize, formatter: "{b} {c}", alignTo: "edge",
               edgeDistance: 4, overflow: "break",
               width: Math.max(56, el.clientWidth * 0.25,
                               widestWord(rows.map(function (r) { return r.name + " " + r.value; }), t.fontSize) + 4) },
      labelLine: { length: 8, length2: 6 },
      itemStyle: { borderColor: data.dark ? "#0b1a2e" : "#fff", borderWidth: 2 },
      data: rows.map(function (r) { return { name: r.name, value: r.value, url: r.url }; }),
    }];
    chart.setOption(option);
    chart.on("click", function (p) { go(p.data && p.data.url); });
  }

  function note(el, text) {
    var box = el.parentNode.querySelector("[data-map-note]");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function map(el, data, t) {
    fetch(el.getAttribute("data-map-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (geo) {
        var missing = geo.missing || [];
        if (!geo.features.length) {
          el.classList.add("chart-empty");
          el.textContent = data.labels.map_none;
          el.setAttribute("data-drawn", "1");
          note(el, missing.length ? data.labels.map_missing + missing.join(data.labels.list_separator) : "");
          return;
        }
        note(el, missing.length ? data.labels.map_missing + missing.join(data.labels.list_separator) : "");
        var name = "fq-" + geo.node.id + "-" + geo.period + "-" + (mapSeq += 1);
        echarts.registerMap(name, { type: "FeatureCollection", features: geo.features });
        var rows = geo.features.map(function (f) {
          var p = f.properties;
          return { name: p.name, value: p.incidents, url: p.url, criminal: p.criminal,
                   disputes: p.disputes, breached: p.breached };
        });
        var top = Math.max.apply(null, rows.map(function (r) { return r.value; }).concat([1]));
        var chart = make(el, data.dark);
        chart.setOption({
          animation: animate,
          backgroundColor: "transparent",
          tooltip: {
            trigger: "item", confine: true,
            formatter: function (p) {
              var r = p.data || {};
              return "<strong>" + p.name + "</strong><br>" + data.labels.map_value + "：" + (r.value || 0) +
                "<br>" + data.labels.criminal + "：" + (r.criminal || 0) +
                "<br>" + data.labels.disputes + "：" + (r.disputes || 0) +
                (r.breached === null || r.breached === undefined ? "" :
                  "<br>" + data.labels.breached + "：" + r.breached) +
                (r.url ? "<br>" + data.labels.records : "");
            },
          },
          visualMap: {
            type: "continuous", min: 0, max: top, calculable: true, left: 8, bottom: 8,
            itemHeight: data.dark ? 120 : 90, text: [String(top), "0"],
            textStyle: { color: t.text, fontSize: t.fontSize },
            inRange: { color: t.map },
          },
          series: [{
            type: "map", map: name, roam: false, selectedMode: false,
            layoutCenter: ["55%", "50%"], layoutSize: "92%",
            label: { show: true, color: data.dark ? "#ffffff" : "#102a43", fontSize: t.fontSize,
                     textBorderColor: data.dark ? "#0b1a2e" : "#ffffff", textBorderWidth: 2 },
            labelLayout: { hideOverlap: true },
            itemStyle: { borderColor: t.border, borderWidth: 1.2, areaColor: t.map[0] },
            emphasis: { label: { show: true }, itemStyle: { areaColor: data.dark ? "#f6c343" : "#f6c343" } },
            data: rows,
          }],
        });
        chart.on("click", function (p) { go(p.data && p.data.url); });
      })
      .catch(function () {
        el.classList.add("chart-empty");
        el.textContent = data.labels.map_failed;
      });
  }

  var DRAW = { categories: bars, trend: trend, daily: daily, disputes: pie };

  function draw() {
    var data = readData();
    if (!data || typeof echarts === "undefined") return;
    var t = theme(data.dark);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var fn = DRAW[el.getAttribute("data-chart")];
      if (fn) fn(el, data, t);
    });
    document.querySelectorAll("[data-map-url]").forEach(function (el) { map(el, data, t); });
  }

  function dispose() {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
  }

  // --- big screen: a clock in Beijing time, and fresh figures every minute ---------------
  function clock() {
    var time = document.querySelector("[data-clock-time]");
    var date = document.querySelector("[data-clock-date]");
    if (!time) return;
    var lang = document.documentElement.lang === "en" ? "en-GB" : "zh-CN";
    var hms = new Intl.DateTimeFormat(lang, { timeZone: "Asia/Shanghai", hour: "2-digit",
      minute: "2-digit", second: "2-digit", hour12: false });
    var ymd = new Intl.DateTimeFormat(lang, { timeZone: "Asia/Shanghai", year: "numeric",
      month: "long", day: "numeric", weekday: "long" });
    function tick() {
      var now = new Date();
      time.textContent = hms.format(now);
      date.textContent = ymd.format(now);
    }
    tick();
    setInterval(tick, 1000);
  }

  function refresh() {
    var body = document.querySelector("[data-refresh-seconds]");
    if (!body) return;
    var seconds = parseInt(body.getAttribute("data-refresh-seconds"), 10) || 60;
    setInterval(function () {
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("screen-body");
          if (!fresh) return;  // signed out meanwhile: keep the last figures on the wall
          dispose();
          animate = false;
          document.getElementById("screen-body").innerHTML = fresh.innerHTML;
          document.body.setAttribute("data-refreshed", new Date().toISOString());
          draw();
        })
        .catch(function () { /* the network is down: try again next minute */ });
    }, seconds * 1000);
  }

  function start() {
    draw();
    clock();
    refresh();
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
