import { expect } from '@jest/globals';
import { ConfigurationError } from '../../src/errors.js';

/** The message of the ConfigurationError `parse` throws; the test fails when it throws nothing, or anything else. */
export function refusalOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError, but nothing was thrown');
}
