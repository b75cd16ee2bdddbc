/**
 * The action's output read as the runner reads it, and shown as plain terminal text: workflow
 * commands (`::error::`, `::warning::`, `::group::`) become words, `::add-mask::` hides its value
 * from every later line (as `***`, like the runner), `::debug::` lines show only when asked, and
 * between `::stop-commands::TOKEN` and `::TOKEN::` lines are shown as they are, never obeyed.
 */
export interface RenderedLine {
  text: string;
  /** Errors and warnings go to stderr, the rest to stdout. */
  stream: 'stdout' | 'stderr';
}

const COMMAND = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/;

/** The runner's unescaping of a command's message (%25 %0D %0A) and properties (also %3A %2C). */
function unescape(text: string): string {
  return text
    .replace(/%0D/gi, '\r')
    .replace(/%0A/gi, '\n')
    .replace(/%3A/gi, ':')
    .replace(/%2C/gi, ',')
    .replace(/%25/g, '%');
}

function properties(text: string | undefined): Record<string, string> {
  const found: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) found[pair.slice(0, eq).trim()] = unescape(pair.slice(eq + 1));
  }
  return found;
}

/** `Error: title: message (file:line)` from an annotation command. */
function annotation(label: string, props: Record<string, string>, message: string): string {
  const where = props.file ? ` (${props.file}${props.line ? `:${props.line}` : ''})` : '';
  return `${label}: ${props.title ? `${props.title}: ` : ''}${message}${where}`;
}

/** Commands that only feed the runner (outputs, state, environment): nothing to show. */
const SILENT = new Set(['set-output', 'save-state', 'set-env', 'add-path', 'echo', 'endgroup']);

export class WorkflowCommandRenderer {
  private readonly secrets = new Set<string>();
  private stoppedUntil: string | undefined;

  constructor(private readonly showDebug: boolean) {}

  /** Hides a value from every line shown after this, as `::add-mask::` does. */
  mask(secret: string): void {
    for (const value of [secret, ...secret.split(/\r?\n/)]) if (value.trim()) this.secrets.add(value);
  }

  /** What the text reads with every masked value replaced by ***, the longest first. */
  redact(text: string): string {
    let shown = text;
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) shown = shown.split(secret).join('***');
    return shown;
  }

  /** One line of the action's output (the runner reads commands on both streams), as it should be shown; undefined when nothing is. */
  line(raw: string, from: RenderedLine['stream'] = 'stdout'): RenderedLine | undefined {
    const trimmed = raw.trim();
    if (this.stoppedUntil !== undefined) {
      if (trimmed === this.stoppedUntil) this.stoppedUntil = undefined;
      else return this.plain(raw, from);
      return undefined;
    }
    const command = COMMAND.exec(trimmed);
    if (!command) return this.plain(raw, from);
    return this.command(command[1] as string, properties(command[2]), command[3] as string, raw, from);
  }

  private command(
    name: string,
    props: Record<string, string>,
    data: string,
    raw: string,
    from: RenderedLine['stream'],
  ): RenderedLine | undefined {
    const message = unescape(data);
    switch (name) {
      case 'add-mask':
        this.mask(message);
        return undefined;
      case 'stop-commands':
        this.stoppedUntil = `::${data}::`;
        return undefined;
      case 'error':
        return { text: this.redact(annotation('Error', props, message)), stream: 'stderr' };
      case 'warning':
        return { text: this.redact(annotation('Warning', props, message)), stream: 'stderr' };
      case 'notice':
        return { text: this.redact(annotation('Notice', props, message)), stream: 'stdout' };
      case 'debug':
        return this.showDebug ? { text: this.redact(`Debug: ${message}`), stream: 'stdout' } : undefined;
      case 'group':
        return { text: this.redact(`== ${message}`), stream: 'stdout' };
      default:
        return SILENT.has(name) ? undefined : this.plain(raw, from);
    }
  }

  private plain(raw: string, stream: RenderedLine['stream']): RenderedLine {
    return { text: this.redact(raw), stream };
  }
}
