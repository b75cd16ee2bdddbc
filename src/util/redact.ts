const MASK = '***';

/**
 * Replaces every secret (and its URL-encoded form) in text. Domain code passes errors and
 * child-process output through this before they reach a report, a summary or an exception,
 * so secrets stay out of them even where @actions/core's masking does not apply.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < 3) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    result = result.split(form).join(MASK);
  }
  return result;
}
