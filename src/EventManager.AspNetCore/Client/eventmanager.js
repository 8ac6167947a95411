/*
 * eventmanager.js: the browser (and Node) client for EventManager's WebSocket endpoint.
 * Protocol: docs/protocol.md. No dependencies; in Node pass a WebSocket implementation as options.WebSocket.
 *
 *   const client = new EventManagerClient("wss://host/ws/events", {
 *     eventTypes: ["agent_message", "system.*"],
 *     onEvent: (event) => console.log(event.event_type, event.data),
 *     onStatus: (status) => console.log(status),   // connecting, connected, reconnecting, disconnected, failed
 *   });
 *   client.connect();
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.EventManagerClient = factory();
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var STATUS = Object.freeze({
    CONNECTING: "connecting",
    CONNECTED: "connected",
    RECONNECTING: "reconnecting",
    DISCONNECTED: "disconnected",
    FAILED: "failed",
  });

  // The server closed because of something this client did; trying again would only repeat it.
  // (A resume that cannot be honoured is not fatal: the server says so in a "resumed" or "error" frame and streams on.)
  var FATAL_CLOSE_CODES = [1003, 1008, 1009];

  var DEFAULTS = {
    eventTypes: null,          // initial subscription; null receives every type
    filter: null,              // further conditions (session_id, tool_names, statuses, ...) sent as ?filter=
    batchSize: null,           // server default 50
    batchWindowMs: null,       // server default 50; 0 sends each event alone
    metricsIntervalMs: null,   // ask for metrics_update frames
    reconnectInterval: 1000,   // first retry delay, doubled each attempt
    maxReconnectInterval: 30000,
    maxReconnectAttempts: 10,  // then the status is "failed"
    pingInterval: 30000,       // 0 disables client pings
    WebSocket: null,           // implementation to use instead of the global one
    resume: true,              // after a reconnect, ask for the events missed meanwhile (last_event_id)
    lastEventId: null,         // resume after this event on the first connect, e.g. one kept in sessionStorage
  };

  function EventManagerClient(url, options) {
    if (typeof url !== "string" || url.length === 0) {
      throw new TypeError("EventManagerClient: url must be a non-empty string");
    }
    options = options || {};
    this.url = url;
    this.options = {};
    for (var key in DEFAULTS) {
      this.options[key] = options[key] !== undefined ? options[key] : DEFAULTS[key];
    }
    this.status = STATUS.DISCONNECTED;
    this.reconnectAttempts = 0;
    this.connectionId = null;
    this.lastEventId = this.options.lastEventId;
    this.epoch = null;
    this.eventTypes = this.options.eventTypes ? this.options.eventTypes.slice() : null;
    this._socket = null;
    this._manualClose = false;
    this._reconnectTimer = null;
    this._pingTimer = null;
    this._handlers = { event: [], status: [], metrics: [], error: [], gap: [], resume: [] };
    if (options.onEvent) this.onEvent(options.onEvent);
    if (options.onStatus) this.onStatus(options.onStatus);
    if (options.onMetrics) this.onMetrics(options.onMetrics);
    if (options.onError) this.onError(options.onError);
    if (options.onGap) this.onGap(options.onGap);
    if (options.onResume) this.onResume(options.onResume);
  }

  EventManagerClient.STATUS = STATUS;

  EventManagerClient.prototype.onEvent = function (handler) { return this._on("event", handler); };
  EventManagerClient.prototype.onStatus = function (handler) { return this._on("status", handler); };
  EventManagerClient.prototype.onMetrics = function (handler) { return this._on("metrics", handler); };
  EventManagerClient.prototype.onError = function (handler) { return this._on("error", handler); };
  EventManagerClient.prototype.onGap = function (handler) { return this._on("gap", handler); };
  /** Called after a reconnect with { recovered, status, replayed }: recovered false means events were missed for good. */
  EventManagerClient.prototype.onResume = function (handler) { return this._on("resume", handler); };

  /** Opens the connection; reconnects by itself until disconnect() or maxReconnectAttempts. */
  EventManagerClient.prototype.connect = function () {
    this._manualClose = false;
    this.reconnectAttempts = 0;
    this._clearTimers();
    this._open(STATUS.CONNECTING);
  };

  /** Closes the connection and stops reconnecting. */
  EventManagerClient.prototype.disconnect = function () {
    this._manualClose = true;
    this._clearTimers();
    if (this._socket) {
      try { this._socket.close(1000, "client disconnect"); } catch (e) { /* already closing */ }
    }
    this._setStatus(STATUS.DISCONNECTED);
  };

  /** Replaces the event types received (names, prefixes such as "voice.*", or "*"); kept across reconnects. */
  EventManagerClient.prototype.subscribe = function (eventTypes) {
    if (!Array.isArray(eventTypes)) throw new TypeError("subscribe: eventTypes must be an array of strings");
    this.eventTypes = eventTypes.slice();
    this._send({ type: "subscribe", payload: { event_types: this.eventTypes } });
  };

  /** Stops receiving the given types, or every type when called without arguments. */
  EventManagerClient.prototype.unsubscribe = function (eventTypes) {
    var payload = Array.isArray(eventTypes) ? { event_types: eventTypes } : undefined;
    if (!payload) {
      this.eventTypes = [];
    } else if (this.eventTypes) {
      this.eventTypes = this.eventTypes.filter(function (t) { return eventTypes.indexOf(t) < 0; });
    }
    this._send({ type: "unsubscribe", payload: payload });
  };

  EventManagerClient.prototype.ping = function () {
    this._send({ type: "ping" });
  };

  EventManagerClient.prototype._on = function (kind, handler) {
    if (typeof handler !== "function") throw new TypeError("the handler must be a function");
    var list = this._handlers[kind];
    list.push(handler);
    return function () {
      var index = list.indexOf(handler);
      if (index >= 0) list.splice(index, 1);
    };
  };

  EventManagerClient.prototype._emit = function (kind, value) {
    var list = this._handlers[kind].slice();
    for (var i = 0; i < list.length; i++) {
      try {
        list[i](value);
      } catch (e) {
        // One failing handler must not stop the others or the connection.
        if (typeof console !== "undefined") console.error("EventManagerClient handler failed", e);
      }
    }
  };

  EventManagerClient.prototype._setStatus = function (status) {
    if (this.status === status) return;
    this.status = status;
    this._emit("status", status);
  };

  EventManagerClient.prototype._buildUrl = function () {
    var params = [];
    var filter = {};
    var source = this.options.filter || {};
    for (var key in source) filter[key] = source[key];
    if (this.eventTypes) filter.event_types = this.eventTypes;
    if (Object.keys(filter).length > 0) params.push("filter=" + encodeURIComponent(JSON.stringify(filter)));
    if (this.options.batchSize != null) params.push("batch_size=" + this.options.batchSize);
    if (this.options.batchWindowMs != null) params.push("batch_window_ms=" + this.options.batchWindowMs);
    if (this.options.metricsIntervalMs != null) params.push("metrics_interval_ms=" + this.options.metricsIntervalMs);
    if (this.options.resume && this.lastEventId) {
      params.push("last_event_id=" + encodeURIComponent(this.lastEventId));
      if (this.epoch) params.push("epoch=" + encodeURIComponent(this.epoch));
    }
    if (params.length === 0) return this.url;
    return this.url + (this.url.indexOf("?") >= 0 ? "&" : "?") + params.join("&");
  };

  EventManagerClient.prototype._open = function (status) {
    var Implementation = this.options.WebSocket || (typeof WebSocket !== "undefined" ? WebSocket : null);
    if (!Implementation) throw new Error("No WebSocket implementation: pass options.WebSocket");
    this._setStatus(status);
    var self = this;
    var socket;
    try {
      socket = new Implementation(this._buildUrl());
    } catch (e) {
      this._emit("error", { code: "connect_failed", message: String(e && e.message || e) });
      this._scheduleReconnect();
      return;
    }
    this._socket = socket;
    socket.onmessage = function (message) {
      if (self._socket === socket) self._receive(message.data);
    };
    socket.onclose = function (event) {
      if (self._socket === socket) self._closed(event);
    };
    socket.onerror = function () { /* onclose follows and decides what to do */ };
  };

  EventManagerClient.prototype._receive = function (text) {
    var message;
    try {
      message = JSON.parse(text);
    } catch (e) {
      this._emit("error", { code: "invalid_server_frame", message: "the server sent a frame that is not JSON" });
      return;
    }
    switch (message.type) {
      case "connected":
        this.connectionId = message.payload && message.payload.connection_id;
        if (message.payload && message.payload.epoch) this.epoch = message.payload.epoch;
        // Before any event, the connection's own starting point: a reconnect then replays what was published meanwhile.
        if (!this.lastEventId && message.payload && message.payload.last_event_id) this.lastEventId = message.payload.last_event_id;
        this.reconnectAttempts = 0;
        this._setStatus(STATUS.CONNECTED);
        this._startPing();
        break;
      case "event":
        delete message.type;
        this._deliver(message);
        break;
      case "batch":
        for (var i = 0; i < message.events.length; i++) this._deliver(message.events[i]);
        break;
      case "resumed":
        this._emit("resume", message.payload);
        break;
      case "gap":
        this._emit("gap", message.payload);
        break;
      case "metrics_update":
        this._emit("metrics", message.payload);
        break;
      case "error":
        this._emit("error", message.payload);
        break;
      default:
        // heartbeat, pong, subscribed: nothing to do beyond knowing the connection is alive.
        break;
    }
  };

  EventManagerClient.prototype._deliver = function (event) {
    if (event.event_id) this.lastEventId = event.event_id;
    this._emit("event", event);
  };

  EventManagerClient.prototype._closed = function (event) {
    this._socket = null;
    this._stopPing();
    if (this._manualClose) {
      this._setStatus(STATUS.DISCONNECTED);
      return;
    }
    if (event && FATAL_CLOSE_CODES.indexOf(event.code) >= 0) {
      this._emit("error", { code: "closed", message: "the server closed the connection with code " + event.code + (event.reason ? ": " + event.reason : "") });
      this._setStatus(STATUS.FAILED);
      return;
    }
    this._scheduleReconnect();
  };

  EventManagerClient.prototype._scheduleReconnect = function () {
    if (this.reconnectAttempts >= this.options.maxReconnectAttempts) {
      this._setStatus(STATUS.FAILED);
      return;
    }
    var base = Math.min(this.options.maxReconnectInterval, this.options.reconnectInterval * Math.pow(2, this.reconnectAttempts));
    // Jitter spreads the reconnects of many clients after a server restart.
    var delay = Math.round(base / 2 + Math.random() * base / 2);
    this.reconnectAttempts++;
    this._setStatus(STATUS.RECONNECTING);
    var self = this;
    this._reconnectTimer = setTimeout(function () {
      self._reconnectTimer = null;
      if (!self._manualClose) self._open(STATUS.RECONNECTING);
    }, delay);
  };

  EventManagerClient.prototype._send = function (frame) {
    var socket = this._socket;
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  };

  EventManagerClient.prototype._startPing = function () {
    this._stopPing();
    if (!this.options.pingInterval) return;
    var self = this;
    this._pingTimer = setInterval(function () { self.ping(); }, this.options.pingInterval);
  };

  EventManagerClient.prototype._stopPing = function () {
    if (this._pingTimer) clearInterval(this._pingTimer);
    this._pingTimer = null;
  };

  EventManagerClient.prototype._clearTimers = function () {
    if (this._reconnectTimer) clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    this._stopPing();
  };

  return EventManagerClient;
});
