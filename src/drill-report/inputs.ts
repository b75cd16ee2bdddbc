import { posix } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { parseBoolean, type InputReader } from '../util/inputs.js';

export const DEFAULT_HISTORY_DIR = 'docs/dr-drills';
export const DEFAULT_TITLE = 'Disaster recovery drill';

/** Where the pull request goes and how to reach GitHub's REST API. */
export interface PullRequestTarget {
  token: string;
  owner: string;
  repo: string;
  /** Empty: the repository's default branch, asked from the API. */
  baseBranch: string;
  labels: string[];
  apiUrl: string;
  serverUrl: string;
}

export interface DrillReportSettings {
  /** Glob patterns, one a line; `!` excludes. */
  reports: string[];
  title: string;
  /** Relative to the repository root, '/'-separated, no trailing slash. */
  historyDir: string;
  /** Absent when open-pr is false. */
  pullRequest?: PullRequestTarget;
}

function parseReports(input: string): string[] {
  const patterns = input
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  if (!patterns.some((p) => !p.startsWith('!'))) {
    throw new ConfigurationError(
      'reports is required: a glob of the JSON reports restore-verify and failover wrote, e.g. reports/**/*.json',
    );
  }
  return patterns;
}

function parseTitle(input: string): string {
  const title = input.replace(/\s+/g, ' ').trim() || DEFAULT_TITLE;
  // GitHub refuses pull request titles over 256 characters; the date and verdict are added to it.
  if (title.length > 200) throw new ConfigurationError(`title is ${title.length} characters long; keep it to 200`);
  return title;
}

/** The folder is committed by path in the pull request, so it must stay inside the repository. */
export function parseHistoryDir(input: string): string {
  const raw = input.trim() || DEFAULT_HISTORY_DIR;
  const normalized = posix.normalize(raw.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (
    posix.isAbsolute(normalized) ||
    normalized === '.' ||
    normalized === '' ||
    normalized === '..' ||
    normalized.startsWith('../')
  ) {
    throw new ConfigurationError(
      `history-dir must be a folder inside the repository, relative to its root (e.g. ${DEFAULT_HISTORY_DIR}), got '${raw}'`,
    );
  }
  if (normalized.split('/').some((part) => part === '.git'))
    throw new ConfigurationError(`history-dir must not be inside .git, got '${raw}'`);
  return normalized;
}

/** git check-ref-format's rules, the ones a user can break by hand. */
function parseBranch(input: string): string {
  const branch = input.trim().replace(/^refs\/heads\//, '');
  if (branch === '') return '';
  if (/[\s~^:?*[\\]|\.\.|@\{|^[-/.]|[/.]$|\/\/|\.lock$|\/\./.test(branch)) {
    throw new ConfigurationError(`base-branch '${input.trim()}' is not a valid branch name`);
  }
  return branch;
}

/** Comma- or line-separated; empty means no labels (action.yml's default is disaster-recovery). */
export function parseLabels(input: string): string[] {
  const labels = [
    ...new Set(
      input
        .split(/[,\n]/)
        .map((label) => label.trim())
        .filter(Boolean),
    ),
  ];
  for (const label of labels) {
    if (label.length > 50) throw new ConfigurationError(`label '${label}' is longer than GitHub's 50 characters`);
  }
  return labels;
}

function parseRepository(env: NodeJS.ProcessEnv): { owner: string; repo: string } {
  const full = env.GITHUB_REPOSITORY ?? '';
  const match = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(full);
  if (!match) {
    throw new ConfigurationError(
      `open-pr needs the repository as owner/name in GITHUB_REPOSITORY (set on GitHub's runners), got '${full}'; outside GitHub set it, or use open-pr: false`,
    );
  }
  return { owner: match[1] as string, repo: match[2] as string };
}

function parseUrl(value: string | undefined, fallback: string, name: string): string {
  const text = (value ?? '').trim() || fallback;
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http');
  } catch {
    throw new ConfigurationError(`${name} must be an http(s) URL, got '${text}'`);
  }
  return text.replace(/\/+$/, '');
}

/** Every input checked before anything is read or written; each mistake is one ConfigurationError. */
export function parseDrillReportInputs(input: InputReader, env: NodeJS.ProcessEnv = process.env): DrillReportSettings {
  const settings: DrillReportSettings = {
    reports: parseReports(input('reports')),
    title: parseTitle(input('title')),
    historyDir: parseHistoryDir(input('history-dir')),
  };
  if (!parseBoolean(input('open-pr'), 'open-pr', true)) return settings;

  const token = input('github-token').trim();
  if (!token) {
    throw new ConfigurationError(
      'github-token is empty, and open-pr is true: pass ${{ github.token }} with contents and pull-requests write permission, or set open-pr: false',
    );
  }
  return {
    ...settings,
    pullRequest: {
      token,
      ...parseRepository(env),
      baseBranch: parseBranch(input('base-branch')),
      labels: parseLabels(input('labels')),
      apiUrl: parseUrl(env.GITHUB_API_URL, 'https://api.github.com', 'GITHUB_API_URL'),
      serverUrl: parseUrl(env.GITHUB_SERVER_URL, 'https://github.com', 'GITHUB_SERVER_URL'),
    },
  };
}
