// The Psyche simulation dashboard. Every piece of event text goes into the page with textContent or setAttribute, never as
// HTML, so a message containing markup shows the markup and runs nothing.
(function () {
  "use strict";

  var MAX_FEED = 100;
  var MAX_POINTS = 60;
  var SVG = "http://www.w3.org/2000/svg";

  var feed = document.getElementById("feed");
  var statusPill = document.getElementById("connection-status");
  var rateLabel = document.getElementById("events-per-second");
  var agentFilter = document.getElementById("agent-filter");
  var network = document.getElementById("network");
  var networkMode = document.getElementById("network-mode");
  var health = document.getElementById("health-status");
  var healthDetail = document.getElementById("health-detail");
  var notices = document.getElementById("notices");
  var cpu = { values: [], label: document.getElementById("cpu-value"), line: document.querySelector("#cpu-chart polyline") };
  var memory = { values: [], label: document.getElementById("memory-value"), line: document.querySelector("#memory-chart polyline") };
  var knownAgents = {};
  var arrivals = [];
  var graph = { nodes: [], links: [], byOrigin: {} };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function time(iso) {
    var date = new Date(iso);
    return isNaN(date) ? "" : date.toLocaleTimeString();
  }

  function addToFeed(item, agent) {
    if (agent) item.dataset.agent = agent;
    item.hidden = !!agentFilter.value && agent !== agentFilter.value;
    feed.insertBefore(item, feed.firstChild);
    while (feed.children.length > MAX_FEED) feed.removeChild(feed.lastChild);
  }

  function rememberAgent(id, kind) {
    if (!id || knownAgents[id]) return;
    knownAgents[id] = kind || true;
    var option = el("option", null, kind ? id + " · " + kind.replace(/_/g, " ") : id);
    option.value = id;
    agentFilter.appendChild(option);
  }

  function onAgentMessage(event) {
    var data = event.data || {};
    var sentiment = data.sentiment || {};
    rememberAgent(data.agent_id, data.agent_type);
    var item = el("li", "message");
    item.dataset.sentiment = sentiment.label || "neutral";
    var meta = el("div", "meta");
    meta.appendChild(el("span", "agent", data.agent_id));
    meta.appendChild(el("span", "kind", String(data.agent_type || "").replace(/_/g, " ")));
    if (data.metadata && data.metadata.to) meta.appendChild(el("span", "to", "→ " + data.metadata.to));
    meta.appendChild(el("span", "score", (sentiment.label || "neutral") + " " + (typeof sentiment.score === "number" ? sentiment.score.toFixed(2) : "")));
    meta.appendChild(el("span", "time", time(event.timestamp)));
    item.appendChild(meta);
    item.appendChild(el("div", "text", data.message));
    addToFeed(item, data.agent_id);
    var node = network.querySelector('circle[data-agent="' + CSS.escape(String(data.agent_id)) + '"]');
    if (node) {
      node.classList.add("speaking");
      setTimeout(function () { node.classList.remove("speaking"); }, 400);
    }
  }

  function onNetworkUpdate(event) {
    var data = event.data || {};
    var kind = data.event_type || "update";
    var emergency = (data.connections || []).some(function (c) { return c.type === "emergency"; }) || kind === "emergency_mode";
    networkMode.textContent = emergency ? "emergency mode" : "normal";
    networkMode.className = emergency ? "mode emergency" : "mode";
    // With several instances sharing Redis each one reports its own agents' network; the page shows them side by side.
    graph.byOrigin[event.origin_id || "local"] = { links: data.connections || [], stats: data.communication_stats || {} };
    var stats = {};
    graph.links = [];
    Object.keys(graph.byOrigin).forEach(function (origin) {
      var part = graph.byOrigin[origin];
      graph.links = graph.links.concat(part.links);
      Object.keys(part.stats).forEach(function (id) { stats[id] = part.stats[id]; });
    });
    var ids = {};
    graph.links.forEach(function (c) { ids[c.from] = true; ids[c.to] = true; });
    Object.keys(stats).forEach(function (id) { ids[id] = true; });
    graph.nodes = Object.keys(ids).sort();
    graph.nodes.forEach(function (id) { rememberAgent(id); });
    drawNetwork(stats);
    if (kind !== "strength_update") {
      var item = el("li", "network" + (kind === "emergency_mode" ? " emergency" : ""), "network: " + kind.replace(/_/g, " ") + " · " + graph.links.length + " links");
      addToFeed(item, null);
    }
  }

  function drawNetwork(stats) {
    while (network.firstChild) network.removeChild(network.firstChild);
    var n = graph.nodes.length;
    var centre = 200, radius = 150, position = {};
    graph.nodes.forEach(function (id, i) {
      var angle = (2 * Math.PI * i) / Math.max(n, 1) - Math.PI / 2;
      position[id] = { x: centre + radius * Math.cos(angle), y: centre + radius * Math.sin(angle) };
    });
    graph.links.forEach(function (c) {
      var a = position[c.from], b = position[c.to];
      if (!a || !b) return;
      var line = document.createElementNS(SVG, "line");
      line.setAttribute("x1", a.x); line.setAttribute("y1", a.y);
      line.setAttribute("x2", b.x); line.setAttribute("y2", b.y);
      line.setAttribute("stroke-width", (1 + 7 * Number(c.strength || 0)).toFixed(1));
      line.setAttribute("class", c.type === "emergency" ? "edge emergency" : "edge");
      network.appendChild(line);
    });
    graph.nodes.forEach(function (id) {
      var p = position[id];
      var sent = stats[id] ? stats[id].sent : 0;
      var circle = document.createElementNS(SVG, "circle");
      circle.setAttribute("cx", p.x); circle.setAttribute("cy", p.y);
      circle.setAttribute("r", (10 + Math.min(10, Math.sqrt(sent))).toFixed(1));
      circle.setAttribute("class", "node");
      circle.dataset.agent = id;
      network.appendChild(circle);
      var label = document.createElementNS(SVG, "text");
      label.setAttribute("x", p.x); label.setAttribute("y", p.y + 28);
      label.textContent = id;
      network.appendChild(label);
    });
  }

  function plot(series, value) {
    series.values.push(value);
    if (series.values.length > MAX_POINTS) series.values.shift();
    series.label.textContent = value.toFixed(1) + " %";
    var step = 300 / (MAX_POINTS - 1);
    series.line.setAttribute("points", series.values.map(function (v, i) {
      return (i * step).toFixed(1) + "," + (80 - Math.max(0, Math.min(100, v)) * 0.8).toFixed(1);
    }).join(" "));
  }

  function onSystemStatus(event) {
    var data = event.data || {};
    var metrics = data.performance_metrics || {};
    health.textContent = data.health_status || "unknown";
    health.dataset.health = data.health_status || "unknown";
    if (typeof metrics.cpu_percent === "number") plot(cpu, metrics.cpu_percent);
    if (typeof metrics.memory_percent === "number") plot(memory, metrics.memory_percent);
    healthDetail.textContent = "active agents " + data.active_agents + " · errors " + data.error_count + " · updated " + time(event.timestamp);
  }

  function onEvent(event) {
    arrivals.push(Date.now());
    switch (event.event_type) {
      case "agent_message": onAgentMessage(event); break;
      case "network_update": onNetworkUpdate(event); break;
      case "system_status": onSystemStatus(event); break;
    }
  }

  function notice(text) {
    notices.textContent = text;
  }

  var client = new EventManagerClient((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/events", {
    eventTypes: ["agent_message", "network_update", "system_status"],
    reconnectInterval: 500,
    maxReconnectInterval: 5000,
    maxReconnectAttempts: 1000,
    onEvent: onEvent,
    onStatus: function (status) {
      statusPill.textContent = status;
      statusPill.dataset.status = status;
      if (status === "connected") notice("");
    },
    onGap: function (gap) { notice("Fell behind: " + gap.missed + " events were skipped."); },
    onResume: function (resume) {
      notice(resume.recovered ? (resume.replayed ? "Reconnected; caught up on " + resume.replayed + " events." : "") : "Reconnected, but missed events could not be recovered (" + resume.status + ").");
    },
    onError: function (error) { notice(error.message || error.code); },
  });

  document.querySelectorAll(".type-filter").forEach(function (box) {
    box.addEventListener("change", function () {
      var types = Array.prototype.filter.call(document.querySelectorAll(".type-filter"), function (b) { return b.checked; })
        .map(function (b) { return b.value; });
      if (types.length === 0) client.unsubscribe(); else client.subscribe(types);
    });
  });

  agentFilter.addEventListener("change", function () {
    Array.prototype.forEach.call(feed.children, function (item) {
      item.hidden = !!agentFilter.value && item.dataset.agent !== agentFilter.value;
    });
  });

  setInterval(function () {
    var cutoff = Date.now() - 1000;
    while (arrivals.length && arrivals[0] < cutoff) arrivals.shift();
    rateLabel.textContent = String(arrivals.length);
  }, 500);

  fetch("/api/info").then(function (r) { return r.json(); }).then(function (info) {
    document.getElementById("instance-info").textContent = info.agents + " agents · seed " + info.seed + (info.redis ? " · redis" : "") + " · " + String(info.instance).slice(0, 8);
  }).catch(function () { /* the header stays empty */ });

  client.connect();
  window.dashboard = { client: client };
})();
