import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Phone numbers as people type them (`(202) 456-1111`, `+44 20 7946 0000`, `0171 2345678`).
 * A number with a country (written `+…`, or given one by PHONE_DEFAULT_COUNTRY) is compared in
 * E.164 and stored in international format; any other is compared by its digits and kept as typed.
 */
export class PhoneNormaliser {
  constructor(private readonly defaultCountry: string | undefined) {}

  private parse(raw: string) {
    const parsed = parsePhoneNumberFromString(raw, {
      defaultCountry: this.defaultCountry as CountryCode | undefined,
    });
    return parsed?.isPossible() ? parsed : undefined;
  }

  /** The key two spellings of one number share, or '' when there are no digits to compare. */
  key(raw: string): string {
    const trimmed = raw.trim();
    if (trimmed === '') return '';
    const parsed = this.parse(trimmed);
    if (parsed) return parsed.number;
    const digits = trimmed.replace(/\D/g, '');
    // Too few digits to tell people apart ("0", extension-only values): never a match.
    return digits.length >= 5 ? digits : '';
  }

  /** How an imported number is stored. */
  display(raw: string): string {
    const trimmed = raw.trim();
    return this.parse(trimmed)?.formatInternational() ?? trimmed;
  }
}
