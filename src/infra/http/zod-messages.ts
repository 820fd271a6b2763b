import { z } from 'zod';

/**
 * Validation messages worded as Django REST Framework words them, because the first clients of
 * this API were written against DRF and show these messages to users.
 */
/** The Python type name DRF puts in its messages for a JSON value: `str`, `int`, `list`, `dict`… */
export function pythonTypeName(input: unknown): string {
  if (Array.isArray(input)) return 'list';
  if (input === null) return 'null';
  if (typeof input === 'object') return 'dict';
  if (typeof input === 'string') return 'str';
  if (typeof input === 'number') return Number.isInteger(input) ? 'int' : 'float';
  if (typeof input === 'boolean') return 'bool';
  return typeof input;
}

/**
 * The rejected value as the message quotes it. Never `String(input)` on an object: a JSON body can
 * carry `{"toString": 0}`, on which that throws — and a throwing message is a 500.
 */
function choiceInput(input: unknown): string {
  if (typeof input === 'string') return input;
  if (typeof input !== 'object' || input === null) return String(input);
  try {
    return JSON.stringify(input);
  } catch {
    return pythonTypeName(input);
  }
}

export function installDrfMessages(): void {
  z.config({
    customError: (issue) => {
      switch (issue.code) {
        case 'invalid_type':
          if (issue.input === undefined) return 'This field is required.';
          if (issue.input === null) return 'This field may not be null.';
          switch (issue.expected) {
            case 'string':
              return 'Not a valid string.';
            case 'number':
              return 'A valid number is required.';
            case 'int':
              return 'A valid integer is required.';
            case 'boolean':
              return 'Must be a valid boolean.';
            case 'array':
              return `Expected a list of items but got type "${pythonTypeName(issue.input)}".`;
            case 'object':
              return `Invalid data. Expected a dictionary, but got ${pythonTypeName(issue.input)}.`;
            default:
              return 'Invalid value.';
          }
        case 'too_big':
          if (issue.origin === 'string')
            return `Ensure this field has no more than ${issue.maximum} characters.`;
          if (issue.origin === 'array')
            return `Ensure this field has no more than ${issue.maximum} elements.`;
          return `Ensure this value is less than or equal to ${issue.maximum}.`;
        case 'too_small':
          if (issue.origin === 'string') {
            return issue.minimum === 1
              ? 'This field may not be blank.'
              : `Ensure this field has at least ${issue.minimum} characters.`;
          }
          if (issue.origin === 'array') return 'This list may not be empty.';
          return `Ensure this value is greater than or equal to ${issue.minimum}.`;
        case 'invalid_value':
          // A missing or null enum is reported by zod as an invalid value: say what DRF says.
          if (issue.input === undefined) return 'This field is required.';
          if (issue.input === null) return 'This field may not be null.';
          return `"${choiceInput(issue.input)}" is not a valid choice.`;
        case 'invalid_format':
          if (issue.format === 'email') return 'Enter a valid email address.';
          if (issue.format === 'date')
            return 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.';
          if (issue.format === 'datetime') {
            return 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';
          }
          return 'Enter a valid value.';
        default:
          return undefined;
      }
    },
  });
}
