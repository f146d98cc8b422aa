/* stepwise course site: draws the charts from their inlined specs, and searches the lessons.
   Works from file://: no fetch, only <script> tags, all from assets/. */
(function () {
  "use strict";

  function chartFailed(figure, error) {
    figure.classList.add("chart-error");
    var p = document.createElement("p");
    p.className = "chart-error-message";
    p.textContent = "This chart could not be drawn: " + (error && error.message ? error.message : error);
    figure.appendChild(p);
  }

  function drawCharts() {
    var figures = document.querySelectorAll("figure.chart");
    Array.prototype.forEach.call(figures, function (figure) {
      var view = figure.querySelector(".chart-view");
      var spec = JSON.parse(figure.querySelector(".chart-spec").textContent);
      var done;
      if (figure.getAttribute("data-kind") === "vega-lite") {
        done = window.vegaEmbed(view, spec, { actions: false, renderer: "canvas" });
      } else {
        var config = Object.assign({ responsive: true, displaylogo: false }, spec.config || {});
        done = window.Plotly.newPlot(view, spec.data, spec.layout || {}, config);
      }
      Promise.resolve(done).then(
        function () { figure.classList.add("rendered"); },
        function (error) { chartFailed(figure, error); }
      );
    });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(script);
    });
  }

  var searchReady;
  function searchIndex() {
    if (!searchReady) {
      searchReady = Promise.all([loadScript("assets/minisearch.js"), loadScript("assets/search-index.js")]).then(function () {
        var data = window.STEPWISE_SEARCH;
        return window.MiniSearch.loadJS(data.index, data.options);
      });
    }
    return searchReady;
  }

  function setUpSearch() {
    var input = document.getElementById("search");
    var list = document.getElementById("search-results");
    if (!input || !list) return;
    var show = function () {
      var query = input.value.trim();
      if (!query) { list.hidden = true; list.textContent = ""; return; }
      searchIndex().then(function (index) {
        if (input.value.trim() !== query) return;
        var hits = index.search(query, { prefix: true, fuzzy: 0.2, boost: { title: 2 } }).slice(0, 8);
        list.textContent = "";
        if (hits.length === 0) {
          var none = document.createElement("li");
          none.className = "none";
          none.textContent = "No lesson mentions " + query;
          list.appendChild(none);
        }
        hits.forEach(function (hit) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = hit.id + ".html";
          link.textContent = (hit.number ? hit.number + " · " : "") + hit.title;
          item.appendChild(link);
          list.appendChild(item);
        });
        list.hidden = false;
      });
    };
    input.addEventListener("focus", function () { searchIndex(); });
    input.addEventListener("input", show);
    input.addEventListener("keydown", function (event) {
      var first = list.querySelector("a");
      if (event.key === "Enter" && first) window.location.href = first.href;
      if (event.key === "Escape") { input.value = ""; show(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    setUpSearch();
  });
})();
