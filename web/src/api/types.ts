/** The REST API's objects, as ../shared/spec/api.md describes them. */

export type Page<T> = { count: number; next: string | null; previous: string | null; results: T[] };

export type User = {
  id: number;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  date_joined: string;
  is_staff: boolean;
};

export const RELATIONSHIP_TYPES = [
  'FAMILY',
  'FRIEND',
  'COLLEAGUE',
  'BUSINESS',
  'ACQUAINTANCE',
  'OTHER',
] as const;
export type RelationshipType = (typeof RELATIONSHIP_TYPES)[number];

export type Relationship = {
  id: number;
  name: string;
  relationship_type: RelationshipType;
  email: string;
  phone: string;
  company: string;
  birthday: string | null;
  how_we_met: string;
  tags: string[];
  contact_interval_days: number | null;
  created_at: string;
  updated_at: string;
  last_interaction_at: string | null;
};

export type RelationshipDetail = Relationship & {
  notes_count: number;
  face_signatures_count: number;
  voice_signatures_count: number;
};

export const INTERACTION_TYPES = [
  'VIDEO_CALL',
  'PHONE_CALL',
  'MEETING',
  'IN_PERSON',
  'MESSAGE',
  'EMAIL',
  'OTHER',
] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

export const PROCESSING_STATUSES = ['NONE', 'PENDING', 'PROCESSING', 'COMPLETED', 'FAILED'] as const;
export type ProcessingStatus = (typeof PROCESSING_STATUSES)[number];

export type ProcessingProgress = { stage: string; percent: number };

export type Interaction = {
  id: number;
  interaction_type: InteractionType;
  title: string;
  occurred_at: string;
  duration_seconds: number | null;
  participants: number[];
  summary: string;
  processing_status: ProcessingStatus;
  processing_error: string;
  processing_progress?: ProcessingProgress | null;
  media: { filename: string; content_type: string; size: number; duration_seconds: number | null } | null;
  created_at: string;
  updated_at: string;
};

export type Segment = {
  start: number;
  end: number;
  text: string;
  speaker: { voice_signature_id: number; relationship_id: number | null } | null;
};

export type IdentifiedParticipant = {
  relationship_id: number | null;
  face_signature_id: number | null;
  voice_signature_id: number | null;
  confidence: number;
  first_seen_at: number | null;
};

export type InteractionDetail = Interaction & {
  transcription: string;
  segments: Segment[];
  identified_participants: IdentifiedParticipant[];
};

export const NOTE_CATEGORIES = [
  'FACT',
  'PREFERENCE',
  'EVENT',
  'TASK',
  'FAMILY',
  'WORK',
  'HEALTH',
  'OTHER',
] as const;
export type NoteCategory = (typeof NOTE_CATEGORIES)[number];
export type NoteStatus = 'ACTIVE' | 'ARCHIVED' | 'DELETED';

export type Note = {
  id: number;
  relationship: number;
  interaction: number | null;
  text: string;
  category: NoteCategory;
  importance: number;
  status: NoteStatus;
  source: 'AI' | 'MANUAL';
  created_at: string;
  updated_at: string;
};

export type FaceSignature = {
  id: number;
  relationship: number | null;
  sample_count: number;
  thumbnail_url: string | null;
  first_seen_at: string | null;
  last_seen_at: string | null;
  created_at: string;
};
export type VoiceSignature = Omit<FaceSignature, 'thumbnail_url'> & { sample_url: string | null };

type PersonRef = { id: number; name: string; relationship_type: RelationshipType };
export type Digest = {
  birthdays: {
    relationship: PersonRef;
    birthday: string;
    date: string;
    days_until: number;
    turning: number | null;
  }[];
  due_to_contact: {
    relationship: PersonRef;
    contact_interval_days: number;
    last_interaction_at: string | null;
    days_overdue: number;
  }[];
};

export type AdminUser = {
  id: number;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  date_joined: string;
  last_login: string | null;
  is_staff: boolean;
  is_active: boolean;
  tokens_count: number;
};

/** What `GET /api/events/` streams. */
export type ServerEvent =
  | {
      type: 'interaction.processing';
      interaction_id: number;
      status: 'PROCESSING' | 'COMPLETED' | 'FAILED';
      progress: ProcessingProgress;
      error?: string;
    }
  | { type: 'note.created'; note?: Note; interaction_id?: number }
  | { type: string; [key: string]: unknown };
