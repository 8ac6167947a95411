// TypeScript declarations for eventmanager.js and the events it delivers (docs/events.md, docs/protocol.md).
// Checked by the tests with `tsc --noEmit --strict` against a file that uses every member.

declare class EventManagerClient {
  constructor(url: string, options?: EventManagerClient.EventManagerClientOptions);
  static readonly STATUS: {
    readonly CONNECTING: "connecting";
    readonly CONNECTED: "connected";
    readonly RECONNECTING: "reconnecting";
    readonly DISCONNECTED: "disconnected";
    readonly FAILED: "failed";
  };
  readonly url: string;
  status: EventManagerClient.ClientStatus;
  reconnectAttempts: number;
  /** Set from the connected frame; undefined when the server sent none. */
  connectionId: string | null | undefined;
  /** Where the next reconnect resumes. */
  lastEventId: string | null | undefined;
  epoch: string | null;
  eventTypes: string[] | null;
  onEvent(handler: (event: EventManagerClient.WebSocketEvent) => void): EventManagerClient.Unsubscribe;
  onStatus(handler: (status: EventManagerClient.ClientStatus) => void): EventManagerClient.Unsubscribe;
  onMetrics(handler: (metrics: EventManagerClient.MetricsUpdate) => void): EventManagerClient.Unsubscribe;
  onError(handler: (error: EventManagerClient.ClientError) => void): EventManagerClient.Unsubscribe;
  onGap(handler: (gap: EventManagerClient.GapReport) => void): EventManagerClient.Unsubscribe;
  onResume(handler: (outcome: EventManagerClient.ResumeOutcome) => void): EventManagerClient.Unsubscribe;
  connect(): void;
  disconnect(): void;
  subscribe(eventTypes: string[]): void;
  unsubscribe(eventTypes?: string[]): void;
  ping(): void;
}

declare namespace EventManagerClient {
  /** The envelope every event has. */
  export interface EventEnvelope<TType extends string = string, TData = Record<string, unknown>> {
    event_type: TType;
    /** ISO 8601 in UTC, ending in Z. */
    timestamp: string;
    event_id: string;
    /** The position in the stream of the manager that delivered it; absent before publication. */
    sequence?: number;
    origin_id?: string;
    session_id?: string;
    target_user_id?: string;
    /** The W3C trace context of the span that published the event, when the server traced it. */
    traceparent?: string;
    tracestate?: string;
    data: TData;
  }

  export type SentimentLabel = "positive" | "negative" | "neutral";

  export interface Sentiment {
    score: number;
    label: SentimentLabel;
  }

  export interface AgentMessageData {
    agent_id: string;
    agent_type: string;
    message: string;
    sentiment?: Sentiment;
    metadata: Record<string, unknown>;
  }

  export type ConnectionType = "normal" | "emergency";

  export interface NetworkConnection {
    from: string;
    to: string;
    /** 0.0 to 1.0. */
    strength: number;
    is_active: boolean;
    type: ConnectionType;
  }

  export interface NetworkUpdateData {
    connections: NetworkConnection[];
    communication_stats: Record<string, { sent: number; received: number }>;
    /** What changed, such as message_sent. */
    event_type: string;
    details?: Record<string, unknown>;
  }

  export type SystemHealthStatus = "healthy" | "warning" | "error";

  export interface SystemStatusData {
    health_status: SystemHealthStatus;
    /** Holds cpu_percent and memory_percent. */
    performance_metrics: Record<string, number>;
    active_agents: number;
    error_count: number;
    metadata: Record<string, unknown>;
  }

  export type AgentMessageEvent = EventEnvelope<"agent_message", AgentMessageData>;
  export type NetworkUpdateEvent = EventEnvelope<"network_update", NetworkUpdateData>;
  export type SystemStatusEvent = EventEnvelope<"system_status", SystemStatusData>;
  /** Any other event type, with free-form data. */
  export type CustomEvent = EventEnvelope<string, Record<string, unknown>>;
  export type WebSocketEvent = AgentMessageEvent | NetworkUpdateEvent | SystemStatusEvent | CustomEvent;

  export type ClientStatus = "connecting" | "connected" | "reconnecting" | "disconnected" | "failed";

  export interface ResumeOutcome {
    recovered: boolean;
    status: "recovered" | "history_exceeded" | "epoch_changed";
    last_event_id?: string;
    replayed: number;
    epoch?: string;
  }

  export interface GapReport {
    missed: number;
    total_missed: number;
  }

  export interface ClientError {
    code: string;
    message: string;
    field?: string;
  }

  export interface SessionMetrics {
    connected_clients: number;
    total_events_sent: number;
    total_bytes_sent: number;
    uptime_seconds: number;
  }

  export interface MetricsUpdate {
    active_sessions: number;
    total_connected_clients: number;
    total_events_broadcast: number;
    total_bytes_sent: number;
    total_events_dropped: number;
    sessions: Record<string, SessionMetrics>;
    event_manager: { published: number; delivered: number; dropped: number; queue_depth: number };
    timestamp: string;
  }

  /** The filter of docs/protocol.md, sent as ?filter=. */
  export interface EventFilter {
    event_types?: string[];
    session_id?: string;
    agent_ids?: string[];
    tool_names?: string[];
    statuses?: string[];
    cost_threshold_tokens?: number;
    feature_ids?: string[];
  }

  /** What the constructor needs of a WebSocket implementation (the browser's, or Node's `ws`). */
  export interface WebSocketLike {
    readonly readyState: number;
    send(data: string): void;
    close(code?: number, reason?: string): void;
    onopen: ((event: unknown) => void) | null;
    onmessage: ((event: { data: unknown }) => void) | null;
    onclose: ((event: { code: number; reason: string }) => void) | null;
    onerror: ((event: unknown) => void) | null;
  }

  export interface EventManagerClientOptions {
    /** Initial subscription; kept across reconnects. Default: every type. */
    eventTypes?: string[] | null;
    filter?: Omit<EventFilter, "event_types"> | null;
    batchSize?: number | null;
    /** 0 sends each event alone. */
    batchWindowMs?: number | null;
    metricsIntervalMs?: number | null;
    /** First retry delay in ms, doubled each attempt, with jitter. Default 1000. */
    reconnectInterval?: number;
    maxReconnectInterval?: number;
    /** Then the status is "failed". Default 10. */
    maxReconnectAttempts?: number;
    /** 0 disables client pings. Default 30000. */
    pingInterval?: number;
    /** A WebSocket implementation to use instead of the global one (Node: require("ws")). */
    WebSocket?: (new (url: string) => WebSocketLike) | null;
    /** After a reconnect, ask for the events missed meanwhile. Default true. */
    resume?: boolean;
    /** Resume after this event on the first connect. */
    lastEventId?: string | null;
    onEvent?: (event: WebSocketEvent) => void;
    onStatus?: (status: ClientStatus) => void;
    onMetrics?: (metrics: MetricsUpdate) => void;
    onError?: (error: ClientError) => void;
    onGap?: (gap: GapReport) => void;
    onResume?: (outcome: ResumeOutcome) => void;
  }

  /** Removes the handler it was returned for. */
  export type Unsubscribe = () => void;
}

// CommonJS (require) in Node, a global EventManagerClient in the browser: the same shape as eventmanager.js.
export = EventManagerClient;
export as namespace EventManagerClient;
