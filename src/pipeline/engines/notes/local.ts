import nlp from 'compromise';
import datesPlugin from 'compromise-dates';
import { Piscina } from 'piscina';
import type {
  ExtractedNote,
  NoteCategory,
  NotesEngine,
  NotesInput,
  NotesParticipant,
  NotesResult,
  NotesTurn,
} from './engine.js';
import { contentWords, DUPLICATE_SIMILARITY, textSimilarity } from './text-similarity.js';

/**
 * The local notes engine: no model, no network. compromise (with compromise-dates) splits the
 * transcript into sentences, tags entities and resolves dates against the call date; the rules
 * below decide who a statement is about, whether it is worth keeping, its category and importance,
 * and rewrite it in the third person. The summary is extractive (TextRank over the sentences).
 */
const nlpx = nlp.extend(datesPlugin);
type Doc = ReturnType<typeof nlpx>;

// ---- lexicons: the cues of each category (word starts, so "surgery" matches "surgeries") ----

const lexicon = (words: string) => new RegExp(`\\b(?:${words.trim().split(/\s+/).join('|')})`, 'i');

const HEALTH = lexicon(`
  hospital surgery operation doctor gp sick ill illness diagnos coeliac celiac intoleran cancer tumou?r chemo diabet
  asthma allerg injur broke\\s+(?:my|her|his)\\s+\\w+ fractur sprain physio therapy therapist
  medication meds pills migraine headache back\\s+pain knee hip pregnan miscarr flu covid fever
  infection recover rehab blood\\s+pressure cholesterol heart\\s+attack stroke anxiety depress
  burn(?:t|ed)?\\s+out insomnia sleep(?:ing)?\\s+badly dentist scan x-ray mri appointment\\s+with
  the\\s+(?:doctor|consultant|specialist) consultant specialist`);
const FAMILY = lexicon(`
  daughter son kids? children child baby babies wife husband partner boyfriend girlfriend fianc
  mum mom mother dad father parents? brother sister sibling grandm grandp grandkid granddaughter
  grandson aunt uncle niece nephew cousin in-laws? family twins toddler stepson stepdaughter
  married engaged divorce brokes+up splits+up maids+ofs+honou?r bests+man`);
const WORK = lexicon(`
  job work(?:ing|s|ed)?\\b boss manager promot team project company client customer office
  interview hired fired laid\\s+off redundan contract salary raise startup colleague coworker
  quarter launch deadline career role position department ceo cto board investor funding
  freelanc consult(?:ing|ancy) business shift retire resign notice\\s+period new\\s+job pitch
  presentation conference bank teacher nurse engineer postdoc phd thesis research hiring hire budget
  scope shipment supplier release roadmap quote metrics pilot retrain manuscript publisher seeds+round
  revenue sales`);
const PREFERENCE = lexicon(`
  prefer(?:s|red)? favou?rite love(?:s|d)?\\s+(?!you) like(?:s)?\\s+(?!to\\s+say|you|i\\s) hate(?:s)?
  can't\\s+stand cannot\\s+stand rather enjoy(?:s|ed)? fan\\s+of vegetarian vegan gluten
  don't\\s+drink doesn't\\s+drink teetotal allergic best\\s+time call\\s+me text\\s+me email\\s+me
  into\\s+(?:running|cycling|climbing|hiking|yoga|cooking|gardening|photography|chess|football|tennis)
  not\\s+a\\s+(?:morning|big)`);
const EVENT_WORDS = lexicon(`
  birthday wedding anniversary trip holiday vacation concert party moving move\\s+to flight fly(?:ing)?
  visit graduat exam marathon race festival christening funeral reunion housewarming gig
  match tournament starts? start(?:ing)? begins? leav(?:e|ing)\\s+for heading\\s+to going\\s+to\\s+(?!be|have|do|try|say|get|make|need)`);
const TASK_CUES =
  /\b(?:don't\s+forget|do\s+not\s+forget|remind\s+me|remember\s+to|make\s+sure|promise|need\s+to\s+send|get\s+back\s+to|follow\s+up|by\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|end\s+of|next|the\s+\d))/i;
const EMPHASIS =
  /\b(?:don't\s+forget|remember|important|really\s+(?:need|important|matters)|must|urgent|big\s+news|finally|can't\s+believe|over\s+the\s+moon|thrilled|devastated|scared|worried|terrified|huge)\b/i;
const SEVERE_HEALTH =
  /\b(?:surgery|operation|hospital|cancer|diagnos|pregnan|miscarr|heart\s+attack|stroke|chemo)/i;

const SMALL_TALK =
  /\b(?:weather|raining|sunny|how\s+are\s+you|how's\s+it\s+going|how\s+have\s+you\s+been|nice\s+to\s+(?:see|hear|talk)|good\s+to\s+(?:see|hear|talk)|talk\s+(?:soon|later)|speak\s+soon|bye|cheers|thanks|thank\s+you|take\s+care|no\s+worries|sounds\s+good|of\s+course|see\s+you|can\s+you\s+hear\s+me|you're\s+on\s+mute|my\s+connection|bad\s+line)\b/i;
const EMPTY_REPLY =
  /^(?:(?:yeah|yes|yep|no|nope|oh|ok|okay|right|sure|well|hmm|ha|haha|wow|great|cool|nice|totally|exactly|absolutely|i\s+know|i\s+see|i\s+guess|i\s+think\s+so|i\s+don't\s+know|i'm\s+(?:fine|good|great|ok|okay|alright|well|not\s+bad))\b[\s,.!]*)+$/i;
const SELF_STATE =
  /^(?:i'm|i\s+am)\s+(?:fine|good|great|ok|okay|alright|well|not\s+bad|doing\s+(?:fine|well|good|ok))\b/i;

const FIRST_PERSON = /\b(?:i|i'm|i've|i'll|i'd|me|my|mine|myself|we|we're|we've|we'll|our|us)\b/i;
const OPENERS =
  /^(?:(?:yeah|yes|yep|no|oh|ok|okay|so|well|um+|uh+|erm|actually|honestly|anyway|and|but|like|right|listen|look|oh\s+god|oh\s+yeah|you\s+know(?:\s+what)?)\b[\s,.!-]*)+/i;
const FILLERS = /\b(?:um+|uh+|erm|you\s+know|i\s+mean|kind\s+of|sort\s+of),?\s*/gi;

/** User commitments to the other person: "I'll send you…", "Let me check…". */
const USER_COMMITMENT =
  /^(?:i'll|i\s+will|i'm\s+going\s+to|i\s+am\s+going\s+to|let\s+me|i\s+promise(?:\s+to|\s+i'll)?|i\s+can)\s+(.+)$/i;
/** Requests of the other person: "Can you send me…?" */
const REQUEST = /^(?:can|could|would|will)\s+you\s+(?:please\s+)?(.+?)\??$/i;
const REMINDER = /^(?:and\s+|also\s+)?(?:(?:don't|do\s+not)\s+forget|remember)\s+(to\s+)?(?:that\s+)?(.+)$/i;
/** Instructions to the user: "Let me know how it goes", "Don't tell Grandma yet". */
const IMPERATIVE =
  /^(?:please\s+)?(let\s+me\s+know|send|bring|call|ring|text|email|tell|book|check|come|keep|pick\s+up|give|introduce|don't\s+tell|do\s+not\s+tell|don't\s+mention)\b(.*)$/i;

const BASE_IMPORTANCE: Record<NoteCategory, number> = {
  HEALTH: 0.65,
  FAMILY: 0.55,
  TASK: 0.6,
  EVENT: 0.55,
  WORK: 0.5,
  PREFERENCE: 0.45,
  FACT: 0.4,
  OTHER: 0.3,
};

// ---- dates ----

type ResolvedDate = { text: string; label: string };

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "next Friday" → "2026-03-13"; weeks and months get a readable label; times of day are left out. */
function resolveDates(doc: Doc, occurredAt: Date): ResolvedDate[] {
  const out: ResolvedDate[] = [];
  const today = occurredAt.toISOString().slice(0, 10);
  // compromise resolves a bare month or weekday forwards; "quit in June", "since May" look back.
  const firstVerb = doc.verbs().first();
  const past =
    (firstVerb.has('#PastTense') && !firstVerb.has('(have|has|am|is|are|getting|will)')) ||
    doc.has('(since|ago)');
  for (const date of doc.dates({ today, timezone: 'UTC' }).json() as { text: string }[]) {
    const text = date.text.trim();
    // Seasons resolve to an arbitrary first day; times of day are not dates worth writing down.
    if (
      /\b(?:spring|summer|autumn|fall|winter|am|pm|o'clock|morning|evening|afternoon|tonight|today|now)\b/i.test(
        text,
      )
    )
      continue;
    // "by Friday" is a deadline on Friday, not "from now until Thursday night".
    const deadline = /^(?:by|before|until|till)\s+(.+)$/i.exec(text.replace(/[.,!?]+$/, ''));
    const found = nlpx(deadline?.[1] ?? text)
      .dates({ today, timezone: 'UTC' })
      .get(0);
    if (!found?.start) continue;
    const start = new Date(found.start);
    if (Number.isNaN(start.getTime())) continue;
    if (
      past &&
      start > occurredAt &&
      !/\b\d{4}\b/.test(text) &&
      !/\b(?:next|tomorrow|in\s+\w+\s+(?:days?|weeks?|months?))\b/i.test(text)
    ) {
      start.setUTCFullYear(start.getUTCFullYear() - 1);
    }
    const day = start.toISOString().slice(0, 10);
    if (day === today) continue;
    let label = day;
    if (found.unit === 'month') label = `${MONTHS[start.getUTCMonth()]} ${start.getUTCFullYear()}`;
    else if (found.unit === 'year') label = String(start.getUTCFullYear());
    else if (found.unit === 'week') label = `week of ${day}`;
    out.push({ text, label });
  }
  return out;
}

// ---- rewriting a statement about its speaker in the third person ----

const NOT_CONJUGATED = new Set([
  'can',
  'could',
  'should',
  'would',
  'will',
  'must',
  'might',
  'may',
  'shall',
  'did',
  "didn't",
  "can't",
  "couldn't",
  "wouldn't",
  "won't",
  "shouldn't",
  'was',
  'had',
  'also',
  'just',
  'really',
  'still',
  'never',
  'always',
  'already',
  'actually',
]);

function thirdPersonVerb(verb: string): string {
  const lower = verb.toLowerCase();
  if (NOT_CONJUGATED.has(lower) || /ed$/.test(lower)) return verb;
  if (lower === "don't") return "doesn't";
  if (lower === 'do') return 'does';
  if (lower === 'have') return 'has';
  const forms = nlp(lower).verbs().conjugate()[0] as
    | { Infinitive?: string; PastTense?: string; PresentTense?: string }
    | undefined;
  // Only a base form takes an -s: "broke" and "quit" (past) stay as they are.
  if (!forms?.PresentTense || forms.Infinitive !== lower || forms.PastTense === lower) return verb;
  return forms.PresentTense;
}

const ADVERBS =
  'also|just|really|still|never|always|already|actually|mostly|usually|often|sometimes|finally|recently|only|even';

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const THANKS = /(?:^|,\s*)(?:thank\s+you|thanks)(?:\s+(?:dear|love|so\s+much))?(?=[,.!]|$)/gi;

function tidy(sentence: string): string {
  let text = sentence
    .replace(OPENERS, '')
    .replace(FILLERS, '')
    .replace(THANKS, '')
    .replace(/\s+/g, ' ')
    .trim();
  text = text.replace(/^[,;:\-\s]+/, '').replace(/[,;:\-\s]+$/, '');
  if (!text) return '';
  if (!/[.!?]$/.test(text)) text += '.';
  return cap(text.replace(/!+$/, '.'));
}

const TITLES =
  /^(?:mr|mrs|ms|miss|dr|prof|auntie|aunt|uncle|nan|nana|gran|granny|grandma|grandpa|cousin|sister|brother|father|mother)\.?$/i;

/** How a note calls someone: the first name, or the whole name when it starts with a title ("Mrs Patel"). */
export function shortName(name: string): string {
  const words = name.trim().split(/\s+/);
  if (words.length > 1 && TITLES.test(words[0]!)) return name.trim();
  return words[0] ?? name;
}

/** "I prefer calls after six" said by Ann → "Ann prefers calls after six"; "you" is the user. */
export function aboutSpeaker(sentence: string, name: string): string {
  const first = shortName(name);
  let named = false;
  const subject = () => {
    if (named) return 'they';
    named = true;
    return first;
  };
  let text = tidy(sentence);
  // "I mostly sail" → "Ann mostly sails": the verb after an adverb takes the -s.
  text = text.replace(
    new RegExp(
      `\\b(I'm|I am|I've|I have|I'll|I will|I'd|I was|I)\\b(?:\\s+((?:${ADVERBS})\\s+)?(\\S+))?`,
      'g',
    ),
    (_m, pronoun: string, adverb: string | undefined, next: string | undefined) => {
      const who = subject();
      const they = who === 'they';
      const after = next ? ` ${adverb ?? ''}${next}` : '';
      switch (pronoun) {
        case "I'm":
        case 'I am':
          return `${who} ${they ? 'are' : 'is'}${after}`;
        case "I've":
        case 'I have':
          return `${who} ${they ? 'have' : 'has'}${after}`;
        case "I'll":
        case 'I will':
          return `${who} will${after}`;
        case "I'd":
          return `${who} would${after}`;
        case 'I was':
          return `${who} ${they ? 'were' : 'was'}${after}`;
        default:
          if (!next) return who;
          return `${who} ${adverb ?? ''}${they ? next : thirdPersonVerb(next)}`;
      }
    },
  );
  let possessed = false;
  text = text
    .replace(/\bmy\b/gi, (m) => {
      const word = possessed || named ? 'their' : `${first}'s`;
      possessed = true;
      return m === 'My' ? cap(word) : word;
    })
    .replace(/\bmyself\b/g, 'themself')
    .replace(/\bme\b/g, 'them')
    .replace(/\bmine\b/g, 'theirs')
    .replace(/\bwe're\b/gi, "they're")
    .replace(/\bwe've\b/gi, "they've")
    .replace(/\bwe'll\b/gi, "they'll")
    .replace(/\bwe\b/gi, 'they')
    .replace(/\bour\b/gi, 'their')
    .replace(/\bus\b/g, 'them')
    .replace(/\byou're\b/gi, "I'm")
    .replace(/\byou've\b/gi, "I've")
    .replace(/\byou'll\b/gi, "I'll")
    .replace(/\byour\b/gi, 'my')
    .replace(/\byours\b/gi, 'mine')
    .replace(/\byou\b/gi, 'me');
  return cap(text);
}

/** What a person asked of the user, in the user's words: "lend me your van" → "lend them my van". */
function fromListener(text: string): string {
  return text
    .replace(/\bI'll\b/g, "they'll")
    .replace(/\bI'm\b/g, "they're")
    .replace(/\bI\b/g, 'they')
    .replace(/\bwe\b/gi, 'they')
    .replace(/\bour\b/gi, 'their')
    .replace(/\bmyself\b/gi, 'themself')
    .replace(/\bme\b/gi, 'them')
    .replace(/\bmy\b/gi, 'their')
    .replace(/\byour\b/gi, 'my')
    .replace(/\byou\b/gi, 'me')
    .replace(/[.!?]+$/, '');
}

/** "send you the contract by Friday" said by the user to Ann → "send Ann the contract by Friday". */
function userToPerson(rest: string, name: string): string {
  const first = shortName(name);
  return rest
    .replace(/\byour\b/gi, `${first}'s`)
    .replace(/\byou\b/gi, first)
    .replace(/[.!?]+$/, '')
    .trim();
}

// ---- classification ----

type Features = {
  category: NoteCategory;
  hasDate: boolean;
  hasEntity: boolean;
  hasNumber: boolean;
  emphasis: boolean;
  severe: boolean;
};

/** A family word in the first half of a sentence is its topic; "…the hospice that looked after my dad" is not about family. */
function isTopic(lexiconPattern: RegExp, sentence: string): boolean {
  const match = lexiconPattern.exec(sentence);
  return match !== null && match.index < sentence.length * 0.5;
}

function classify(sentence: string, doc: Doc, dates: ResolvedDate[]): Features {
  const hasDate = dates.length > 0;
  const hasEntity = doc.has('(#Person|#Place|#Organization)');
  const hasNumber = doc.has('#Value') || /\d/.test(sentence);
  const emphasis = EMPHASIS.test(sentence);
  const severe = SEVERE_HEALTH.test(sentence);
  let category: NoteCategory;
  if (
    TASK_CUES.test(sentence) &&
    /\b(?:send|call|email|text|bring|book|pay|check|remind|sort|look\s+into|introduce|forward)\b/i.test(
      sentence,
    )
  )
    category = 'TASK';
  else if (HEALTH.test(sentence)) category = 'HEALTH';
  else if (isTopic(FAMILY, sentence)) category = 'FAMILY';
  else if (WORK.test(sentence)) category = 'WORK';
  else if (hasDate && EVENT_WORDS.test(sentence)) category = 'EVENT';
  else if (PREFERENCE.test(sentence)) category = 'PREFERENCE';
  else if (hasDate) category = 'EVENT';
  else category = 'FACT';
  return { category, hasDate, hasEntity, hasNumber, emphasis, severe };
}

function importanceOf(f: Features): number {
  let score = BASE_IMPORTANCE[f.category];
  if (f.hasDate) score += 0.15;
  if (f.emphasis) score += 0.15;
  if (f.severe) score += 0.1;
  if (f.hasEntity) score += 0.05;
  if (f.hasNumber) score += 0.05;
  return Math.round(Math.min(0.95, score) * 100) / 100;
}

/** Whether a plain statement (not a request or commitment) says something worth remembering. */
function worthKeeping(sentence: string, features: Features): boolean {
  const words = sentence.split(/\s+/).filter(Boolean).length;
  if (words < 3 || EMPTY_REPLY.test(sentence) || SELF_STATE.test(sentence)) return false;
  if (SMALL_TALK.test(sentence) && features.category === 'FACT') return false;
  if (features.category !== 'FACT') return true;
  // A FACT needs something concrete: a name, a place, a number, a date, or a first-person
  // statement of substance ("I live…", "I've been…", "I'm a…").
  if (features.hasEntity || features.hasNumber) return words >= 4;
  if (words < 4) return false;
  return /\b(?:i|we)\s+(?:live|grew\s+up|was\s+born|moved|bought|sold|started|stopped|quit|joined|left|passed|got|have\s+(?:a|two|three)|'ve\s+(?:got|been|started|decided)|am\s+a|'m\s+a|'m\s+(?:learning|training|building|writing|planning|thinking\s+of|saving))\b/i.test(
    sentence
      .replace(/\bI'm\b/g, "i 'm")
      .replace(/\bI've\b/g, "i 've")
      .replace(/\bwe've\b/gi, "we 've"),
  );
}

function withDates(text: string, dates: ResolvedDate[]): string {
  const labels = [...new Set(dates.map((d) => d.label))].filter((label) => !text.includes(label));
  if (labels.length === 0) return text;
  return `${text.replace(/[.!?]$/, '')} (${labels.join(', ')}).`;
}

// ---- the extractor ----

type Candidate = ExtractedNote & { position: number; sentence: string };

/** A tag question turns a statement into a "question": "…in September, can you believe it?" */
const TAG_QUESTION =
  /,?\s*(?:can\s+you\s+believe\s+it|right|you\s+know|isn't\s+it|aren't\s+they|don't\s+you\s+think|yeah|eh|no)\s*\?+\s*$/i;
/** Where a spoken run-on sentence starts a new statement: ", and I've…", ", my…", ", we…". */
const CLAUSE_BREAK =
  /,\s+(?:and\s+|but\s+|so\s+|oh\s+and\s+|also\s+)?(?=(?:I|I'm|I've|I'll|I'd|we|we're|we've|my|our)\b)/g;

function sentencesOf(text: string): string[] {
  return nlpx(text)
    .sentences()
    .out('array')
    .flatMap((s: string) => s.replace(TAG_QUESTION, '.').split(CLAUSE_BREAK))
    .map((s: string) => s.trim())
    .filter(Boolean);
}

/** Who a user's sentence is addressed to: the only participant, else the nearest participant turn. */
function addressee(input: NotesInput, index: number): NotesParticipant | null {
  if (input.participants.length === 1) return input.participants[0]!;
  for (let d = 1; d <= 2; d++) {
    const before = input.turns[index - d]?.speaker;
    if (before) return before;
    const after = input.turns[index + d]?.speaker;
    if (after) return after;
  }
  return null;
}

function mentionedParticipant(sentence: string, participants: NotesParticipant[]): NotesParticipant | null {
  const matches = participants.filter((p) => {
    const first = p.name.split(/\s+/)[0];
    return first && new RegExp(`\\b${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(sentence);
  });
  return matches.length === 1 ? matches[0]! : null;
}

function statementNote(
  sentence: string,
  person: NotesParticipant,
  occurredAt: Date,
  position: number,
  firstPerson: boolean,
): Candidate | null {
  if (/\?\s*$/.test(sentence)) {
    const request = REQUEST.exec(tidy(sentence).replace(/\.$/, ''));
    if (!request?.[1] || SMALL_TALK.test(sentence)) return null;
    const what = fromListener(request[1]);
    if (what.split(/\s+/).length < 3) return null;
    const doc = nlpx(sentence);
    const dates = resolveDates(doc, occurredAt);
    const features = { ...classify(sentence, doc, dates), category: 'TASK' as const };
    return {
      relationshipId: person.relationshipId,
      text: withDates(`Asked me to ${what}.`, dates),
      category: 'TASK',
      importance: importanceOf(features),
      position,
      sentence,
    };
  }
  const reminder = REMINDER.exec(tidy(sentence).replace(/\.$/, ''));
  if (reminder?.[2]) {
    const doc = nlpx(sentence);
    const dates = resolveDates(doc, occurredAt);
    const what = fromListener(reminder[2]);
    return {
      relationshipId: person.relationshipId,
      text: withDates(`Reminded me ${reminder[1] ? 'to' : 'that'} ${what}.`, dates),
      category: 'TASK',
      importance: importanceOf({ ...classify(sentence, doc, dates), category: 'TASK', emphasis: true }),
      position,
      sentence,
    };
  }
  const imperative = IMPERATIVE.exec(tidy(sentence).replace(/\.$/, ''));
  if (imperative?.[1] && firstPerson && !SMALL_TALK.test(sentence)) {
    const doc = nlpx(sentence);
    const dates = resolveDates(doc, occurredAt);
    const verb = imperative[1].toLowerCase();
    const negative = /^(?:don't|do\s+not)\s+/.exec(verb);
    const what = fromListener(`${negative ? verb.slice(negative[0].length) : verb}${imperative[2] ?? ''}`);
    if (what.split(/\s+/).length >= 3) {
      return {
        relationshipId: person.relationshipId,
        text: withDates(`Asked me ${negative ? 'not to' : 'to'} ${what}.`, dates),
        category: 'TASK',
        importance: importanceOf({ ...classify(sentence, doc, dates), category: 'TASK' }),
        position,
        sentence,
      };
    }
  }
  if (!firstPerson && !FIRST_PERSON.test(sentence)) {
    // Said without "I"/"we": kept when it names someone or something dated ("Emma starts at Leeds
    // in September"), not when it is about the listener.
    if (/^\s*(?:you|your)\b/i.test(tidy(sentence))) return null;
  }
  const doc = nlpx(sentence);
  const dates = resolveDates(doc, occurredAt);
  const features = classify(sentence, doc, dates);
  if (
    !FIRST_PERSON.test(sentence) &&
    !features.hasEntity &&
    !features.hasDate &&
    features.category === 'FACT'
  )
    return null;
  if (!worthKeeping(sentence, features)) return null;
  // An answer fragment ("End of January.", "Me, on the 19th.") means nothing on its own; a health
  // complaint ("Sick all the time.") does.
  if (!doc.has('#Verb') && features.category !== 'HEALTH') return null;
  const text = firstPerson ? aboutSpeaker(sentence, person.name) : tidy(sentence);
  if (text.length < 12) return null;
  return {
    relationshipId: person.relationshipId,
    text: withDates(text, dates),
    category: features.category,
    importance: importanceOf(features),
    position,
    sentence,
  };
}

function commitmentNote(
  sentence: string,
  person: NotesParticipant,
  occurredAt: Date,
  position: number,
): Candidate | null {
  const match = USER_COMMITMENT.exec(tidy(sentence).replace(/\.$/, ''));
  if (!match?.[1] || /\?\s*$/.test(sentence)) return null;
  const rest = match[1];
  // "I'll see", "let me think" are not promises; a promise does something for or to the person.
  if (
    rest.split(/\s+/).length < 3 ||
    !/\b(?:you|your|send|call|email|text|bring|book|pay|check|sort|introduce|forward|ring|pick|drop|lend|share|help|ask|find|look|get|buy|order|write|review|read)\b/i.test(
      rest,
    )
  )
    return null;
  if (/^(?:let\s+you\s+go|talk\s+to\s+you|see\s+you|speak\s+to\s+you)\b/i.test(rest)) return null;
  const doc = nlpx(sentence);
  const dates = resolveDates(doc, occurredAt);
  const features = { ...classify(sentence, doc, dates), category: 'TASK' as const, emphasis: true };
  return {
    relationshipId: person.relationshipId,
    text: withDates(`Promised to ${userToPerson(rest, person.name)}.`, dates),
    category: 'TASK',
    importance: importanceOf(features),
    position,
    sentence,
  };
}

/** TextRank over sentences: similarity is shared content words over the log of the lengths. */
export function textRank(sentences: string[], iterations = 30, damping = 0.85): number[] {
  const words = sentences.map((s) => contentWords(s));
  const n = sentences.length;
  const weights: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = words[i]!;
      const b = words[j]!;
      if (a.size < 2 || b.size < 2) continue;
      let shared = 0;
      for (const w of a) if (b.has(w)) shared++;
      const weight = shared / (Math.log(a.size) + Math.log(b.size));
      weights[i]![j] = weight;
      weights[j]![i] = weight;
    }
  }
  const outSum = weights.map((row) => row.reduce((s, w) => s + w, 0));
  let scores = new Array<number>(n).fill(1);
  for (let k = 0; k < iterations; k++) {
    scores = scores.map((_, i) => {
      let sum = 0;
      for (let j = 0; j < n; j++) if (weights[j]![i]! > 0) sum += (weights[j]![i]! / outSum[j]!) * scores[j]!;
      return 1 - damping + damping * sum;
    });
  }
  return scores;
}

function formatDay(date: Date): string {
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

function joinNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function summarise(input: NotesInput, candidates: Candidate[], sentenceCount: number): string {
  const who = joinNames(input.participants.map((p) => p.name));
  const intro = `${who ? `Conversation with ${who}` : 'Conversation'} on ${formatDay(input.occurredAt)}.`;
  if (candidates.length === 0) return intro;
  const ranks = textRank(candidates.map((c) => c.sentence));
  // Rank blends centrality with the note's own importance, so a short call still leads with what matters.
  const chosen = candidates
    .map((c, i) => ({ c, score: ranks[i]! * (0.5 + c.importance) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, Math.min(4, Math.max(2, Math.ceil(sentenceCount / 25))))
    .sort((a, b) => a.c.position - b.c.position);
  const lines = chosen.map(({ c }) => {
    const person = input.participants.find((p) => p.relationshipId === c.relationshipId);
    const first = person ? shortName(person.name) : '';
    if (c.text.startsWith('Promised to ')) return `I promised to ${c.text.slice('Promised to '.length)}`;
    if (c.text.startsWith('Asked me to '))
      return `${first} asked me to ${c.text.slice('Asked me to '.length)}`;
    if (c.text.startsWith('Reminded me to '))
      return `${first} reminded me to ${c.text.slice('Reminded me to '.length)}`;
    if (first && !c.text.toLowerCase().includes(first.toLowerCase())) return `${first}: ${c.text}`;
    return c.text;
  });
  return [intro, ...lines].join(' ');
}

/** Candidates that say the same thing about the same person: the more important one stays. */
function dedupe(candidates: Candidate[]): Candidate[] {
  const kept: (Candidate & { words: Set<string> })[] = [];
  for (const candidate of [...candidates].sort((a, b) => b.importance - a.importance)) {
    const words = contentWords(candidate.text);
    const same = kept.find(
      (k) =>
        k.relationshipId === candidate.relationshipId &&
        textSimilarity(k.words, words) >= DUPLICATE_SIMILARITY,
    );
    if (!same) kept.push({ ...candidate, words });
  }
  return kept.sort((a, b) => a.position - b.position).map(({ words: _w, ...c }) => c);
}

export function extractLocally(input: NotesInput): NotesResult {
  const hasSpeakers = input.turns.some((t) => t.speaker !== null || t.speakerName !== null);
  const candidates: Candidate[] = [];
  let position = 0;
  let sentenceCount = 0;
  input.turns.forEach((turn: NotesTurn, index) => {
    for (const sentence of sentencesOf(turn.text)) {
      sentenceCount++;
      position++;
      let note: Candidate | null = null;
      if (turn.speaker) {
        note = statementNote(sentence, turn.speaker, input.occurredAt, position, true);
      } else if (hasSpeakers) {
        // Someone who is not a participant: the user themself. Their promises are notes about
        // the person they were made to; the rest is about the user, and not stored.
        const person = addressee(input, index);
        if (person) note = commitmentNote(sentence, person, input.occurredAt, position);
      } else {
        // Plain text with no speakers: only sentences naming a participant can be attributed.
        const person = mentionedParticipant(sentence, input.participants);
        if (person) note = statementNote(sentence, person, input.occurredAt, position, false);
      }
      if (note) candidates.push(note);
    }
  });
  const notes = dedupe(candidates);
  return {
    summary: summarise(input, notes, sentenceCount),
    notes: notes.map(({ relationshipId, text, category, importance }) => ({
      relationshipId,
      text: text.slice(0, 5000),
      category,
      importance,
    })),
  };
}

/**
 * The engine runs the extractor in a worker thread (one, started on first use, stopped after a
 * minute idle): about 130 ms of CPU per transcript minute would otherwise stall the server.
 */
export function createLocalNotesEngine(options: { inThread?: boolean } = {}): NotesEngine {
  let pool: Piscina | undefined;
  const fromSource = import.meta.url.endsWith('.ts');
  const run = async (input: NotesInput, signal: AbortSignal | undefined): Promise<NotesResult> => {
    if (options.inThread) return extractLocally(input);
    pool ??= new Piscina({
      filename: new URL(`./local-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href,
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: 60_000,
      execArgv: fromSource ? ['--import', 'tsx'] : [],
    });
    return pool.run(input, { signal: signal ?? null });
  };
  return {
    name: 'local',
    status: () => ({
      name: 'local',
      available: true,
      reason: 'Rule-based English extractor (compromise + compromise-dates); needs no model.',
    }),
    async extract(input, { signal, onProgress }) {
      signal?.throwIfAborted();
      const result = await run(input, signal);
      onProgress?.(1);
      return result;
    },
    async close() {
      await pool?.destroy();
      pool = undefined;
    },
  };
}
