// Uses every declared member of eventmanager.js the way an application would; `tsc -p .` must accept it.
import EventManagerClient = require("eventmanager");

class FakeSocket implements EventManagerClient.WebSocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {}
  close(code?: number, reason?: string): void {}
}

const seen: string[] = [];
const client = new EventManagerClient("ws://127.0.0.1:5080/ws/events", {
  eventTypes: ["agent_message", "system.*"],
  filter: { session_id: "s-1", agent_ids: ["a"], cost_threshold_tokens: 10 },
  batchSize: 50,
  batchWindowMs: 0,
  metricsIntervalMs: 1000,
  reconnectInterval: 1000,
  maxReconnectInterval: 30000,
  maxReconnectAttempts: 10,
  pingInterval: 0,
  WebSocket: FakeSocket,
  resume: true,
  lastEventId: null,
  onEvent: (event) => seen.push(event.event_id),
  onStatus: (status) => seen.push(status),
  onMetrics: (metrics) => seen.push(String(metrics.total_connected_clients + metrics.event_manager.queue_depth)),
  onError: (error) => seen.push(error.code + error.message + (error.field ?? "")),
  onGap: (gap) => seen.push(String(gap.missed + gap.total_missed)),
  onResume: (outcome) => seen.push(outcome.recovered ? "recovered" : outcome.status),
});

const off: EventManagerClient.Unsubscribe = client.onEvent((event) => {
  if (event.event_type === "agent_message") {
    const message = event as EventManagerClient.AgentMessageEvent;
    seen.push(message.data.agent_id + message.data.message + (message.data.sentiment?.label ?? "") + (message.traceparent ?? ""));
  } else if (event.event_type === "network_update") {
    const update = event as EventManagerClient.NetworkUpdateEvent;
    seen.push(update.data.connections.map((c) => c.from + c.to + c.type + c.is_active + c.strength).join());
  } else if (event.event_type === "system_status") {
    const status = event as EventManagerClient.SystemStatusEvent;
    const health: EventManagerClient.SystemHealthStatus = status.data.health_status;
    seen.push(health + status.data.performance_metrics["cpu_percent"] + status.data.active_agents);
  }
  seen.push(String(event.sequence ?? 0) + (event.origin_id ?? "") + (event.session_id ?? "") + event.timestamp);
});
off();
client.onStatus((status: EventManagerClient.ClientStatus) => seen.push(status));
client.onMetrics((metrics) => seen.push(Object.keys(metrics.sessions).join()));
client.onError((error) => seen.push(error.code));
client.onGap((gap) => seen.push(String(gap.missed)));
client.onResume((outcome) => seen.push(String(outcome.replayed) + (outcome.epoch ?? "")));
client.connect();
client.subscribe(["voice.*"]);
client.unsubscribe(["voice.*"]);
client.unsubscribe();
client.ping();
client.disconnect();
const status: EventManagerClient.ClientStatus = EventManagerClient.STATUS.CONNECTED;
seen.push(status, client.url, client.status, String(client.reconnectAttempts), client.connectionId ?? "", client.lastEventId ?? "", client.epoch ?? "", (client.eventTypes ?? []).join());
