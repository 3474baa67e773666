/// The dashboard: one static page (plain HTML, CSS and JavaScript, no build step), kept in the binary. It draws
/// whatever the server pushes on `api/events` (no polling); searches and the CSV download are the user's clicks.
enum DashboardPage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Line dashboard · espflash-swift</title>
        <style>
        :root { --ok: #1a7f37; --bad: #c62828; --warn: #b26a00; --muted: #667085; --line: #e4e7ec; --bg: #f7f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #101828; background: var(--bg); }
        header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 12px 24px; padding: 14px 24px; background: #101828; color: #fff; }
        header h1 { margin: 0; font-size: 18px; font-weight: 600; }
        header .meta { color: #c0c6d0; font-size: 12px; }
        #live { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #475467; }
        #live.on { background: var(--ok); } #live.off { background: var(--bad); }
        main { padding: 16px 24px; display: grid; gap: 16px; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
        h2 { margin: 0 0 8px; font-size: 14px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
        .cards { display: flex; flex-wrap: wrap; gap: 12px; }
        .card { min-width: 120px; padding: 8px 14px; border: 1px solid var(--line); border-radius: 8px; }
        .card b { display: block; font-size: 26px; }
        .card span { color: var(--muted); font-size: 12px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: 12px; color: var(--muted); font-weight: 600; }
        td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
        .state { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #eef0f3; }
        .state.running { background: #dbeafe; color: #1e40af; } .state.waiting { background: #eef0f3; }
        .state.stopped { background: #e5e7eb; color: #475467; } .state.offline, .state.database_unavailable { background: #fde2e1; color: var(--bad); }
        .passed { color: var(--ok); } .failed { color: var(--bad); }
        .bar { width: 120px; height: 10px; background: #eef0f3; border-radius: 5px; overflow: hidden; }
        .bar > div { height: 100%; background: #3b82f6; }
        .hours { display: flex; align-items: flex-end; gap: 3px; height: 110px; }
        .hour { flex: 1; display: flex; flex-direction: column-reverse; min-width: 8px; height: 100%; position: relative; }
        .hour .p { background: #4caf50; } .hour .f { background: #e57373; }
        .axis { display: flex; justify-content: space-between; color: var(--muted); font-size: 11px; }
        .err { color: var(--bad); }
        form { display: flex; gap: 8px; margin-bottom: 8px; }
        input[type=search] { flex: 1; max-width: 420px; padding: 6px 8px; border: 1px solid #d0d5dd; border-radius: 6px; }
        button, a.button { padding: 6px 12px; border: 1px solid #d0d5dd; border-radius: 6px; background: #fff; color: #101828; text-decoration: none; cursor: pointer; }
        .muted { color: var(--muted); }
        .flash { animation: flash 1.2s ease-out; } @keyframes flash { from { background: #fff7c2; } to { background: transparent; } }
        .cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 16px; }
        </style>
        </head>
        <body>
        <header>
          <h1>Line dashboard</h1>
          <span id="live">connecting…</span>
          <span class="meta" id="meta"></span>
        </header>
        <main>
          <section>
            <h2>Last <span id="window">24</span> hours</h2>
            <div class="cards">
              <div class="card"><b id="modules">–</b><span>modules</span></div>
              <div class="card"><b id="passed" class="passed">–</b><span>passed</span></div>
              <div class="card"><b id="failed" class="failed">–</b><span>failed</span></div>
              <div class="card"><b id="yield">–</b><span>yield</span></div>
              <div class="card"><b id="inflight">–</b><span>modules in flight</span></div>
            </div>
            <p id="dberror" class="err"></p>
          </section>
          <div id="stations"></div>
          <div class="cols">
            <section><h2>Yield per hour</h2><div class="hours" id="hours"></div><div class="axis" id="axis"></div></section>
            <section><h2>Yield per stage</h2><table id="stages"><thead><tr><th>stage</th><th>entered</th><th>passed</th><th>failed</th><th>yield</th></tr></thead><tbody></tbody></table></section>
          </div>
          <section><h2>Last failures</h2><table id="failures"><thead><tr><th>time</th><th>station</th><th>port</th><th>MAC</th><th>unit</th><th>stage</th><th>error</th></tr></thead><tbody></tbody></table></section>
          <section>
            <h2>Search</h2>
            <form id="search"><input type="search" id="q" placeholder="MAC, unit or serial"><button>Search</button><a class="button" id="csv" href="api/records.csv">Download CSV</a></form>
            <table id="results"><thead><tr><th>#</th><th>finished</th><th>station</th><th>port</th><th>MAC</th><th>unit</th><th>result</th><th>stage</th><th>error</th></tr></thead><tbody></tbody></table>
            <p class="muted" id="found"></p>
          </section>
        </main>
        <script>
        "use strict";
        function el(tag, attrs, ...children) {
          const e = document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) { if (v !== null && v !== undefined) e.setAttribute(k, v); }
          for (const c of children) e.append(c === null || c === undefined ? "" : (c instanceof Node ? c : String(c)));
          return e;
        }
        const pct = f => f === null || f === undefined ? "–" : (f * 100).toFixed(1) + "%";
        const time = iso => iso ? new Date(iso).toLocaleTimeString() : "";
        function fill(tbody, rows) { tbody.replaceChildren(...rows); }

        function renderPorts(stations) {
          const root = document.getElementById("stations");
          if (!stations.length) { root.replaceChildren(el("section", {}, el("h2", {}, "Stations"), el("p", {class: "muted"}, "No station has published its ports yet."))); return; }
          root.replaceChildren(...stations.map(s => el("section", {class: "station", "data-station": s.station_id},
            el("h2", {}, "Station " + s.station_id),
            el("table", {}, el("thead", {}, el("tr", {}, ...["port", "state", "stage", "progress", "MAC", "unit", "last module", "passed", "failed"].map(h => el("th", {}, h)))),
              el("tbody", {}, ...s.ports.map(p => el("tr", {class: "port", "data-port": p.port, "data-state": p.state},
                el("td", {class: "mono"}, p.port),
                el("td", {}, el("span", {class: "state " + p.state}, p.state.replace("_", " ")), p.message ? el("div", {class: "muted"}, p.message) : ""),
                el("td", {}, p.stage || ""),
                el("td", {}, p.progress === null ? "" : el("div", {class: "bar", title: pct(p.progress)}, el("div", {style: "width:" + (p.progress * 100).toFixed(0) + "%"}))),
                el("td", {class: "mono"}, p.mac || ""), el("td", {class: "mono"}, p.unit || ""),
                el("td", {class: p.last_result || ""}, p.last_result || "", p.last_error ? el("div", {class: "muted"}, p.last_error) : ""),
                el("td", {class: "passed"}, p.passed), el("td", {class: "failed"}, p.failed))))))));
        }

        function renderHours(hours) {
          const max = Math.max(1, ...hours.map(h => h.passed + h.failed));
          document.getElementById("hours").replaceChildren(...hours.map(h => el("div", {class: "hour", title: time(h.hour) + ": " + h.passed + " passed, " + h.failed + " failed, yield " + pct(h.yield)},
            el("div", {class: "p", style: "height:" + (100 * h.passed / max) + "%"}), el("div", {class: "f", style: "height:" + (100 * h.failed / max) + "%"}))));
          document.getElementById("axis").replaceChildren(el("span", {}, hours.length ? time(hours[0].hour) : ""), el("span", {}, "now"));
        }

        function render(s) {
          document.getElementById("meta").textContent = s.database + " · schema " + s.schema_version + " · updated " + time(s.generated_at);
          document.getElementById("window").textContent = s.window_hours;
          document.getElementById("modules").textContent = s.totals.modules;
          document.getElementById("passed").textContent = s.totals.passed;
          document.getElementById("failed").textContent = s.totals.failed;
          document.getElementById("yield").textContent = pct(s.totals.yield);
          document.getElementById("inflight").textContent = s.totals.in_flight;
          document.getElementById("dberror").textContent = s.database_error ? "The database cannot be read: " + s.database_error : "";
          renderPorts(s.stations);
          renderHours(s.yield_per_hour);
          fill(document.querySelector("#stages tbody"), s.yield_per_stage.map(y => el("tr", {"data-stage": y.stage},
            el("td", {}, y.stage), el("td", {}, y.entered), el("td", {}, y.passed), el("td", {class: y.failed ? "failed" : ""}, y.failed), el("td", {}, pct(y.yield)))));
          fill(document.querySelector("#failures tbody"), s.last_failures.map(f => el("tr", {},
            el("td", {}, time(f.finished_at)), el("td", {}, f.station_id), el("td", {class: "mono"}, f.port), el("td", {class: "mono"}, f.mac || ""),
            el("td", {class: "mono"}, f.unit || ""), el("td", {}, f.stage), el("td", {class: "err"}, f.error || f.reason || ""))));
        }

        function recordRow(r) {
          return el("tr", {}, el("td", {}, r.id), el("td", {}, time(r.finished_at)), el("td", {}, r.station_id), el("td", {class: "mono"}, r.port),
            el("td", {class: "mono"}, r.mac || ""), el("td", {class: "mono"}, r.unit || ""), el("td", {class: r.result}, r.result), el("td", {}, r.stage),
            el("td", {class: "err"}, r.error || ""));
        }

        document.getElementById("search").addEventListener("submit", async ev => {
          ev.preventDefault();
          const q = document.getElementById("q").value.trim();
          const query = q ? "?q=" + encodeURIComponent(q) : "";
          document.getElementById("csv").href = "api/records.csv" + query;
          const answer = await fetch("api/records" + query);
          const records = answer.ok ? await answer.json() : [];
          fill(document.querySelector("#results tbody"), records.map(recordRow));
          document.getElementById("found").textContent = answer.ok ? records.length + " record(s)" : "search failed: " + await answer.text();
        });

        const live = document.getElementById("live");
        const events = new EventSource("api/events");
        events.onopen = () => { live.textContent = "live"; live.className = "on"; };
        events.onerror = () => { live.textContent = "reconnecting…"; live.className = "off"; };
        events.addEventListener("state", e => render(JSON.parse(e.data)));
        events.addEventListener("record", e => {
          const r = JSON.parse(e.data);
          const row = document.querySelector('tr.port[data-port="' + CSS.escape(r.port) + '"]');
          if (row) { row.classList.remove("flash"); void row.offsetWidth; row.classList.add("flash"); }
        });
        </script>
        </body>
        </html>
        """
}
