import { describe, expect, test } from '@jest/globals';
import { ConfigurationError } from '../../src/errors.js';
import { parseDrillReportInputs, parseHistoryDir, parseLabels } from '../../src/drill-report/inputs.js';

const ENV = { GITHUB_REPOSITORY: 'acme/shop' };

function parse(inputs: Record<string, string>, env: NodeJS.ProcessEnv = ENV) {
  return parseDrillReportInputs((name) => inputs[name] ?? '', env);
}

function mistake(inputs: Record<string, string>, env: NodeJS.ProcessEnv = ENV): string {
  try {
    parse(inputs, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('drill-report inputs', () => {
  test('defaults: the plan’s history folder, a pull request to the default branch on github.com', () => {
    expect(parse({ reports: 'reports/**/*.json\n!reports/**/old-*.json', 'github-token': 't0ken' })).toEqual({
      reports: ['reports/**/*.json', '!reports/**/old-*.json'],
      title: 'Disaster recovery drill',
      historyDir: 'docs/dr-drills',
      pullRequest: {
        token: 't0ken',
        owner: 'acme',
        repo: 'shop',
        baseBranch: '',
        labels: [],
        apiUrl: 'https://api.github.com',
        serverUrl: 'https://github.com',
      },
    });
  });

  test('open-pr false needs no token and no repository', () => {
    expect(parse({ reports: 'r/*.json', 'open-pr': 'false' }, {})).toEqual({
      reports: ['r/*.json'],
      title: 'Disaster recovery drill',
      historyDir: 'docs/dr-drills',
    });
  });

  test('GitHub Enterprise Server: the API and server URLs come from the runner', () => {
    const settings = parse(
      { reports: 'r.json', 'github-token': 't', 'base-branch': 'refs/heads/release/2026', labels: 'dr, drill\nq1, dr' },
      { ...ENV, GITHUB_API_URL: 'https://ghe.example/api/v3/', GITHUB_SERVER_URL: 'https://ghe.example' },
    );
    expect(settings.pullRequest).toMatchObject({
      apiUrl: 'https://ghe.example/api/v3',
      serverUrl: 'https://ghe.example',
      baseBranch: 'release/2026',
      labels: ['dr', 'drill', 'q1'],
    });
  });

  test('each mistake is one clear error', () => {
    expect(mistake({})).toMatch(/^reports is required/);
    expect(mistake({ reports: '!only/excludes.json' })).toMatch(/^reports is required/);
    expect(mistake({ reports: 'r.json' })).toMatch(/^github-token is empty, and open-pr is true/);
    expect(mistake({ reports: 'r.json', 'open-pr': 'yes' })).toBe("open-pr must be true or false, got 'yes'");
    expect(mistake({ reports: 'r.json', 'github-token': 't' }, {})).toMatch(
      /^open-pr needs the repository as owner\/name in GITHUB_REPOSITORY/,
    );
    expect(mistake({ reports: 'r.json', 'github-token': 't', 'base-branch': 'feature..x' })).toBe(
      "base-branch 'feature..x' is not a valid branch name",
    );
    expect(mistake({ reports: 'r.json', 'github-token': 't', labels: 'x'.repeat(51) })).toMatch(
      /longer than GitHub's 50 characters/,
    );
    expect(mistake({ reports: 'r.json', title: 'x'.repeat(201), 'open-pr': 'false' })).toMatch(
      /^title is 201 characters long/,
    );
    expect(mistake({ reports: 'r.json', 'github-token': 't' }, { ...ENV, GITHUB_API_URL: 'ftp://x' })).toBe(
      "GITHUB_API_URL must be an http(s) URL, got 'ftp://x'",
    );
  });

  test('history-dir stays inside the repository, normalized as committed', () => {
    expect(parseHistoryDir('')).toBe('docs/dr-drills');
    expect(parseHistoryDir('./ops//drills/')).toBe('ops/drills');
    expect(parseHistoryDir('ops\\drills')).toBe('ops/drills');
    for (const bad of ['/etc', '../elsewhere', 'a/../../b', '.', '.git/x'])
      expect(() => parseHistoryDir(bad)).toThrow(ConfigurationError);
  });

  test('labels: comma- or line-separated, trimmed, unique; empty means none', () => {
    expect(parseLabels(' a ,b\n\na')).toEqual(['a', 'b']);
    expect(parseLabels('')).toEqual([]);
  });
});
