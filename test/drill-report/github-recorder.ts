import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One REST call as the server received it. */
export interface RecordedCall {
  method: string;
  /** Path without the query, URL-decoded. */
  path: string;
  query: Record<string, string>;
  authorization?: string;
  body?: unknown;
}

interface PullRequest {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string;
  labels: string[];
}

export interface GitHubRecorderOptions {
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  /** Answers POST /pulls with GitHub's 403 for repositories that do not let Actions open pull requests. */
  refusePullRequests?: boolean;
  /** Answers POST /issues/{n}/labels with a 403. */
  refuseLabels?: boolean;
  token?: string;
}

/**
 * A small GitHub REST server on loopback that records every call and keeps just enough state
 * (blobs, trees, commits, refs, pull requests) to answer the way GitHub does: 422 for a ref or
 * pull request that exists, 404 for an unknown branch, 401 for a wrong token. Tests assert
 * the sequence and payloads of the calls, and the state the calls leave behind.
 */
export class GitHubRecorder {
  readonly calls: RecordedCall[] = [];
  readonly blobs = new Map<string, string>();
  readonly trees = new Map<
    string,
    { base?: string; entries: { path: string; mode: string; type: string; sha: string }[] }
  >();
  readonly commits = new Map<string, { message: string; tree: string; parents: string[] }>();
  readonly refs = new Map<string, string>();
  readonly pulls: PullRequest[] = [];
  readonly owner: string;
  readonly repo: string;
  readonly baseSha: string;
  readonly baseTreeSha: string;
  private server?: Server;
  private counter = 0;

  constructor(private readonly options: GitHubRecorderOptions = {}) {
    this.owner = options.owner ?? 'acme';
    this.repo = options.repo ?? 'shop';
    this.baseTreeSha = this.sha('base-tree');
    this.baseSha = this.sha('base-commit');
    this.trees.set(this.baseTreeSha, { entries: [] });
    this.commits.set(this.baseSha, { message: 'base', tree: this.baseTreeSha, parents: [] });
    this.refs.set(`refs/heads/${options.defaultBranch ?? 'main'}`, this.baseSha);
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The calls as `METHOD /path`, the sequence a test asserts. */
  sequence(): string[] {
    return this.calls.map((c) => `${c.method} ${c.path}`);
  }

  private sha(seed: string): string {
    this.counter += 1;
    return createHash('sha1').update(`${seed}:${this.counter}`).digest('hex');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const text = Buffer.concat(chunks).toString('utf8');
    const call: RecordedCall = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(text ? { body: JSON.parse(text) as unknown } : {}),
    };
    this.calls.push(call);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (this.options.token && call.authorization !== `token ${this.options.token}`)
      return send(401, { message: 'Bad credentials' });
    try {
      const [status, body] = this.route(call);
      send(status, body);
    } catch (error) {
      send(500, { message: String(error) });
    }
  }

  private route(call: RecordedCall): [number, unknown] {
    const prefix = `/repos/${this.owner}/${this.repo}`;
    if (!call.path.startsWith(prefix)) return [404, { message: 'Not Found' }];
    const path = call.path.slice(prefix.length);
    const body = (call.body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;

    if (call.method === 'GET' && path === '')
      return [200, { full_name: `${this.owner}/${this.repo}`, default_branch: this.options.defaultBranch ?? 'main' }];
    if (call.method === 'GET' && (m = /^\/git\/ref\/(.+)$/.exec(path))) {
      const sha = this.refs.get(`refs/${m[1]}`);
      return sha ? [200, { ref: `refs/${m[1]}`, object: { sha, type: 'commit' } }] : [404, { message: 'Not Found' }];
    }
    if (call.method === 'GET' && (m = /^\/git\/commits\/([0-9a-f]{40})$/.exec(path))) {
      const commit = this.commits.get(m[1] as string);
      return commit
        ? [
            200,
            {
              sha: m[1],
              message: commit.message,
              tree: { sha: commit.tree },
              parents: commit.parents.map((sha) => ({ sha })),
            },
          ]
        : [404, { message: 'Not Found' }];
    }
    if (call.method === 'POST' && path === '/git/blobs') {
      if (body.encoding !== 'base64' && body.encoding !== 'utf-8')
        return [422, { message: 'encoding must be utf-8 or base64' }];
      const content =
        body.encoding === 'base64'
          ? Buffer.from(String(body.content), 'base64').toString('utf8')
          : String(body.content);
      const sha = this.sha(content);
      this.blobs.set(sha, content);
      return [201, { sha, url: `${prefix}/git/blobs/${sha}` }];
    }
    if (call.method === 'POST' && path === '/git/trees') {
      const entries = body.tree as { path: string; mode: string; type: string; sha: string }[];
      if (body.base_tree !== undefined && !this.trees.has(String(body.base_tree)))
        return [422, { message: 'base_tree is not a tree' }];
      if (entries.some((e) => !this.blobs.has(e.sha)))
        return [422, { message: 'tree entry refers to an unknown blob' }];
      const sha = this.sha('tree');
      this.trees.set(sha, { base: body.base_tree as string | undefined, entries });
      return [201, { sha }];
    }
    if (call.method === 'POST' && path === '/git/commits') {
      const parents = body.parents as string[];
      if (!this.trees.has(String(body.tree)) || parents.some((p) => !this.commits.has(p)))
        return [422, { message: 'tree or parent not found' }];
      const sha = this.sha('commit');
      this.commits.set(sha, { message: String(body.message), tree: String(body.tree), parents });
      return [201, { sha, tree: { sha: body.tree } }];
    }
    if (call.method === 'POST' && path === '/git/refs') {
      const ref = String(body.ref);
      if (this.refs.has(ref)) return [422, { message: 'Reference already exists' }];
      if (!this.commits.has(String(body.sha))) return [422, { message: 'Object does not exist' }];
      this.refs.set(ref, String(body.sha));
      return [201, { ref, object: { sha: body.sha } }];
    }
    if (call.method === 'PATCH' && (m = /^\/git\/refs\/(.+)$/.exec(path))) {
      const ref = `refs/${m[1]}`;
      if (!this.refs.has(ref)) return [422, { message: 'Reference does not exist' }];
      this.refs.set(ref, String(body.sha));
      return [200, { ref, object: { sha: body.sha } }];
    }
    if (call.method === 'POST' && path === '/pulls') {
      if (this.options.refusePullRequests)
        return [403, { message: 'GitHub Actions is not permitted to create or approve pull requests.' }];
      const head = String(body.head);
      if (!this.refs.has(`refs/heads/${head}`))
        return [422, { message: 'Validation Failed', errors: [{ field: 'head', code: 'invalid' }] }];
      if (String(body.body ?? '').length > 65_536)
        return [
          422,
          { message: 'Validation Failed', errors: [{ message: 'body is too long (maximum is 65536 characters)' }] },
        ];
      if (this.pulls.some((p) => p.head === head))
        return [422, { message: `Validation Failed: A pull request already exists for ${this.owner}:${head}.` }];
      const pull = {
        number: this.pulls.length + 1,
        head,
        base: String(body.base),
        title: String(body.title),
        body: String(body.body ?? ''),
        labels: [],
      };
      this.pulls.push(pull);
      return [201, this.pullJson(pull)];
    }
    if (call.method === 'GET' && path === '/pulls') {
      const head = call.query.head?.replace(`${this.owner}:`, '');
      return [200, this.pulls.filter((p) => !head || p.head === head).map((p) => this.pullJson(p))];
    }
    if (call.method === 'PATCH' && (m = /^\/pulls\/(\d+)$/.exec(path))) {
      const pull = this.pulls.find((p) => p.number === Number(m?.[1]));
      if (!pull) return [404, { message: 'Not Found' }];
      if (body.title !== undefined) pull.title = String(body.title);
      if (body.body !== undefined) pull.body = String(body.body);
      return [200, this.pullJson(pull)];
    }
    if (call.method === 'POST' && (m = /^\/issues\/(\d+)\/labels$/.exec(path))) {
      if (this.options.refuseLabels) return [403, { message: 'Resource not accessible by integration' }];
      const pull = this.pulls.find((p) => p.number === Number(m?.[1]));
      if (!pull) return [404, { message: 'Not Found' }];
      pull.labels = [...new Set([...pull.labels, ...(body.labels as string[])])];
      return [200, pull.labels.map((name) => ({ name }))];
    }
    return [404, { message: `no route for ${call.method} ${call.path}` }];
  }

  private pullJson(pull: PullRequest): unknown {
    return {
      number: pull.number,
      html_url: `https://github.com/${this.owner}/${this.repo}/pull/${pull.number}`,
      state: 'open',
      title: pull.title,
      body: pull.body,
      head: { ref: pull.head },
      base: { ref: pull.base },
    };
  }

  /** The files of a commit's tree, read back from the blobs the calls stored. */
  filesOf(commitSha: string): Record<string, string> {
    const commit = this.commits.get(commitSha);
    const tree = commit ? this.trees.get(commit.tree) : undefined;
    return Object.fromEntries((tree?.entries ?? []).map((e) => [e.path, this.blobs.get(e.sha) ?? '']));
  }
}

/** The REST calls that open a drill's first pull request in acme/shop: one commit of two files, the pull request, its labels. */
export function firstPullRequestCalls(baseSha: string): string[] {
  return [
    'GET /repos/acme/shop',
    'GET /repos/acme/shop/git/ref/heads/main',
    `GET /repos/acme/shop/git/commits/${baseSha}`,
    'POST /repos/acme/shop/git/blobs',
    'POST /repos/acme/shop/git/blobs',
    'POST /repos/acme/shop/git/trees',
    'POST /repos/acme/shop/git/commits',
    'POST /repos/acme/shop/git/refs',
    'POST /repos/acme/shop/pulls',
    'POST /repos/acme/shop/issues/1/labels',
  ];
}
