/** libqp (quoted-printable, RFC 2045) ships no type declarations; only `decode` is used. */
declare module 'libqp' {
  export function decode(input: string): Buffer;
  export function encode(input: Buffer | string): string;
}
