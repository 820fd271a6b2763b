/** A participant an imported speaker name may refer to. */
export type NamedPerson = { relationshipId: number; name: string };

const normalise = (name: string) =>
  name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * The participant a transcript's speaker name means: the same full name (case, accents and
 * punctuation aside), else the only participant with that first name, else the only one whose
 * first name the speaker label starts with ("Ann B." → Ann Baker). Ambiguous or unknown: null.
 */
export function matchSpeaker<P extends NamedPerson>(speaker: string, people: P[]): P | null {
  const wanted = normalise(speaker);
  if (!wanted) return null;
  const exact = people.filter((p) => normalise(p.name) === wanted);
  if (exact.length === 1) return exact[0]!;
  if (exact.length > 1) return null;
  const wantedFirst = wanted.split(' ')[0]!;
  const byFirst = people.filter((p) => normalise(p.name).split(' ')[0] === wantedFirst);
  if (byFirst.length === 1) {
    const [person] = byFirst;
    // "Ann Smith" is not "Ann Baker": a different surname means a different person.
    const wantedRest = wanted.split(' ').slice(1).join(' ');
    const rest = normalise(person!.name).split(' ').slice(1).join(' ');
    if (!wantedRest || !rest || rest.startsWith(wantedRest.replace(/ .*/, '')) || wantedRest.length <= 2)
      return person!;
  }
  return null;
}
