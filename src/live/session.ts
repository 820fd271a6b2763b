import type { FastifyBaseLogger as Logger } from 'fastify';
import type { WebSocket } from 'ws';
import type { AppConfig } from '../infra/config/config.js';
import type { EventBus } from '../infra/events/index.js';
import { ApiError } from '../infra/http/errors.js';
import type { InteractionsService } from '../modules/interactions/service.js';
import type { SignaturesService } from '../modules/signatures/service.js';
import { type InteractionProcessingEvent, userChannel } from '../pipeline/process-media.js';
import { decodePcm } from './audio.js';
import { type CallDeps, LiveCall } from './call.js';
import { SocketLimiter } from './limits.js';
import {
  type AssignParticipant,
  type AudioChunk,
  type CallStart,
  CLOSE,
  type ClientMessage,
  decodeBase64,
  ProtocolError,
  parseClientMessage,
  type ServerMessage,
  type VideoChunk,
} from './protocol.js';
import type { CallRegistry } from './registry.js';

export type SessionDeps = CallDeps & {
  config: AppConfig['live'];
  /** The user's event channel: background processing is forwarded as `processing_update`. */
  events?: EventBus;
  registry: CallRegistry;
  interactionsService: InteractionsService;
  signatures: SignaturesService;
};

const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * One authenticated socket: validates and rate-limits each message, and drives at most one call.
 * Messages are handled one after another (audio must stay in order); face work runs beside them.
 */
export class LiveSession {
  private call: LiveCall | null = null;
  private readonly limiter: SocketLimiter;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  /** This socket's identity towards the call it drives. */
  private readonly sender = (message: ServerMessage) => this.send(message);

  constructor(
    private readonly socket: WebSocket,
    private readonly userId: number,
    private readonly deps: SessionDeps,
    private readonly log: Logger,
  ) {
    this.limiter = new SocketLimiter(deps.config);
    socket.on('message', (data, isBinary) => this.receive(data as Buffer | Buffer[], isBinary));
    socket.on('close', () => this.onClose());
    socket.on('error', (error) => log.debug({ err: error }, 'live socket error'));
    this.send({ type: 'connection_established', user_id: userId });
    this.forwardProcessing();
  }

  /** An upload finishing while the user is on a call shows up there too (best effort). */
  private forwardProcessing(): void {
    const subscription = this.deps.events?.subscribe(userChannel(this.userId), (event) => {
      const update = event as Partial<InteractionProcessingEvent>;
      if (update.type !== 'interaction.processing' || !update.interaction_id || !update.status) return;
      this.send({
        type: 'processing_update',
        interaction_id: update.interaction_id,
        status: update.status,
        progress: update.progress ?? { stage: 'queued', percent: 0 },
        ...(update.error ? { error: update.error } : {}),
      });
    });
    if (!subscription) return;
    this.unsubscribe = subscription;
    subscription.ready.catch((error) => this.log.warn({ err: error }, 'live socket: no processing events'));
  }

  private send(message: ServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private error(code: ProtocolError['code'], message: string): void {
    this.send({ type: 'error', code, message });
  }

  private receive(data: Buffer | Buffer[], isBinary: boolean): void {
    const payload = Array.isArray(data) ? Buffer.concat(data) : data;
    const size = payload.length;
    const verdict =
      size > this.deps.config.maxMessageBytes ? this.limiter.refuse() : this.limiter.admit(size);
    if (verdict === 'close') {
      this.log.warn({ user: this.userId }, 'live socket flooding: closing');
      this.socket.close(CLOSE.policyViolation, 'Too many messages refused: slow down.');
      return;
    }
    if (verdict === 'refuse') {
      if (size > this.deps.config.maxMessageBytes)
        this.error(
          'message_too_large',
          `The message is ${size} bytes; the limit is ${this.deps.config.maxMessageBytes}.`,
        );
      else this.error('rate_limited', 'Too many messages or bytes per second: this one was dropped.');
      return;
    }
    this.queue = this.queue.then(() => this.handle(payload, isBinary));
  }

  /** Messages are handled in order; those that came before the socket closed still count. */
  private async handle(payload: Buffer, isBinary: boolean): Promise<void> {
    try {
      if (isBinary) {
        // A binary frame is raw pcm_s16le, 16 kHz, mono (the spec's way to avoid base64).
        await this.audio(
          { type: 'audio_chunk', data: '', format: 'pcm_s16le', sample_rate: 16_000 },
          payload,
        );
        return;
      }
      await this.dispatch(parseClientMessage(payload.toString('utf8')));
    } catch (error) {
      if (error instanceof ProtocolError) return this.error(error.code, error.message);
      if (error instanceof ApiError && error.statusCode === 404) return this.error('not_found', 'Not found.');
      if (error instanceof ApiError && error.statusCode === 400)
        return this.error('invalid_message', JSON.stringify(error.body));
      this.log.error({ err: error, user: this.userId }, 'live call: message failed');
      this.error('server_error', 'The server could not handle this message.');
    }
  }

  private async dispatch(message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'call_start':
        return this.start(message);
      case 'video_chunk':
        return this.video(message);
      case 'audio_chunk':
        return this.audio(message, decodeBase64(message.data));
      case 'call_end':
        return this.end();
      case 'assign_participant':
        return this.assign(message);
    }
  }

  private activeCall(): LiveCall {
    if (!this.call || this.call.ended || !this.call.isAttached(this.sender))
      throw new ProtocolError('no_active_call', 'Send call_start before streaming or ending a call.');
    return this.call;
  }

  private async start(message: CallStart): Promise<void> {
    // No call is opened for a socket that is gone: no one would end it or see it.
    if (this.closed) return;
    if (this.call && !this.call.ended && this.call.isAttached(this.sender))
      throw new ProtocolError(
        'call_in_progress',
        `Call ${this.call.interactionId} is running on this socket; send call_end first.`,
      );
    const { registry, interactionsService } = this.deps;
    let call = message.interaction_id ? registry.find(this.userId, message.interaction_id) : undefined;
    if (call) {
      // A reconnect (or a second device) takes the call over.
      registry.resume(call);
    } else {
      registry.assertRoomFor(this.userId);
      const interaction = message.interaction_id
        ? await interactionsService.get(this.userId, message.interaction_id)
        : await interactionsService.create(this.userId, {
            interaction_type: message.interaction_type ?? 'VIDEO_CALL',
            title: message.title ?? '',
            occurred_at: new Date(),
          });
      call = new LiveCall(this.userId, interaction.id, this.deps);
      registry.add(call);
    }
    this.call = call;
    call.attach(this.sender);
    this.send({ type: 'call_started', interaction_id: call.interactionId });
  }

  private video(message: VideoChunk): void {
    const call = this.activeCall();
    const image = decodeBase64(message.data);
    if (!image.subarray(0, 3).equals(JPEG) && !image.subarray(0, 8).equals(PNG))
      throw new ProtocolError('invalid_data', 'data: a video frame must be a base64 JPEG or PNG image.');
    call.videoFrame(image, message.timestamp ?? call.elapsed());
  }

  private async audio(message: AudioChunk, bytes: Buffer): Promise<void> {
    const call = this.activeCall();
    const samples = decodePcm(bytes, message.format);
    await call.audioChunk(samples, message.sample_rate, message.timestamp);
  }

  private async end(): Promise<void> {
    const call = this.activeCall();
    await this.deps.registry.end(call);
    const { summary, notesCreated } = await call.end();
    this.send({
      type: 'call_ended',
      interaction_id: call.interactionId,
      summary,
      notes_created: notesCreated,
    });
    this.call = null;
  }

  private async assign(message: AssignParticipant): Promise<void> {
    const call = this.activeCall();
    const kind = message.face_signature_id ? 'face' : 'voice';
    const signatureId = (message.face_signature_id ?? message.voice_signature_id)!;
    const signature = await this.deps.signatures.assign(
      this.userId,
      kind,
      signatureId,
      message.relationship_id,
    );
    const relationship = await this.deps.relationships.get(this.userId, message.relationship_id);
    await call.assigned(
      { id: relationship.id, name: relationship.name, relationship_type: relationship.relationshipType },
      kind === 'face' ? { faceSignatureId: signature.id } : { voiceSignatureId: signature.id },
      signatureId,
    );
  }

  private onClose(): void {
    this.closed = true;
    this.unsubscribe?.();
    // After the messages already received: a client that sends call_end and closes at once (a page
    // being left) has its call ended now, not held for a reconnection that will not come.
    this.queue = this.queue.then(() => {
      const call = this.call;
      if (call && !call.ended && call.isAttached(this.sender)) {
        this.log.info(
          { interaction: call.interactionId },
          'live socket closed without call_end: grace period',
        );
        this.deps.registry.orphan(call);
      }
    });
  }
}
