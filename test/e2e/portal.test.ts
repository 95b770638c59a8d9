/**
 * The portal on a store the real pipelines filled (`vigil demo`: three customers, two incidents
 * with snapshots and emails, a rejected frame, daily reports), with people added by
 * `vigil user add`. In process (the app's own `request`): who sees what, walking every route of
 * the portal as one customer with another customer's ids; sign-in, sessions and CSRF; marks
 * committed as feedback records. In a real browser on `vigil serve`: signing in, the overview,
 * an incident, a frame and a report, each screenshot checked; a page refreshing itself as new
 * work lands; a customer refused another customer's incident.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertValid, type Alert } from '../../specs/index.js';
import { formatTimestamp } from '../../src/contract/frame-path.js';
import { framePath } from '../../src/contract/portal-urls.js';
import { REPOS } from '../../src/contract/repos.js';
import { Store } from '../../src/engine/store/store.js';
import { openPortal, type Portal } from '../../src/portal/portal.js';
import { COLORS } from '../../src/render/colors.js';
import { createApp, type ServeApp } from '../../src/serve/app.js';
import { look, openBrowser, skipWithoutChromium, visibleText } from '../helpers/browser.js';
import { tempDir, vigil, vigilOk } from '../helpers/cli.js';
import { PortalClient } from '../helpers/portal.js';
import { startServer, type Served } from '../helpers/serve.js';

const PASSWORDS = { op: 'operator-pass-1', alice: 'alice-pass-12', carol: 'carol-pass-123' };
/** u1's incident (alice's), and u3's (carol's). */
const U1_INCIDENT = 'u1-cam1-r200-20261126T041500Z';
const U3_INCIDENT = 'u3-gate-r300-20261125T150000Z';
/** What of u3's must never reach alice. */
const U3_MARKS = ['u3-gate', 'r300', 'Vehicle at the gate', 'motorcycle', 'ops@example.jp', 'o*@example.jp'];

let root: string;
let store: Store;
let portal: Portal;
let app: ServeApp;
let clock = Date.now();

/** The head commit of `repo` and the paths of its files. */
async function head(repo: string): Promise<{ commit: string; paths: string[] }> {
  const commit = (await store.headCommit(repo))!;
  return { commit: commit.id, paths: (await store.listFiles(repo, commit.id)).map((f) => f.path) };
}

function client(): PortalClient {
  return new PortalClient((path, init) => app.request(path, init));
}

async function signedIn(name: keyof typeof PASSWORDS): Promise<PortalClient> {
  const c = client();
  const res = await c.signIn(name, PASSWORDS[name]);
  assert.equal(res.status, 303, `${name} could not sign in`);
  return c;
}

before(async () => {
  root = await tempDir('vigil-portal-');
  await vigilOk(['demo', '--root', root], { root });
  await vigilOk(['user', 'add', 'op', '--operator'], { root, input: `${PASSWORDS.op}\n` });
  await vigilOk(['user', 'add', 'alice', '--customer', 'u1'], { root, input: `${PASSWORDS.alice}\n` });
  await vigilOk(['user', 'add', 'carol', '--customer', 'u3'], { root, input: `${PASSWORDS.carol}\n` });
  store = await Store.open(root);
  portal = await openPortal(store, { pollMs: 60_000, log: () => {}, now: () => clock });
  app = createApp([portal.routes], (e) => {
    throw e;
  });
});

after(async () => {
  await portal?.index.stop();
});

describe('who sees what', () => {
  /** Every route of the portal with u3's ids in it, as alice (customer u1) would try them. */
  async function u3Urls(): Promise<Record<string, string[]>> {
    const alerts = await head(REPOS.alerts);
    const validated = await head(REPOS.validated);
    const raw = await head(REPOS.raw);
    const rejected = validated.paths.find((p) => p.startsWith('/rejected/'))!;
    return {
      'GET /': ['/?day=2026-11-25'],
      'GET /portal/version': ['/portal/version'],
      'GET /incidents': ['/incidents?customer=u3', '/incidents?camera=u3-gate', '/incidents?rule=300', '/incidents?date=2026-11-25'],
      'GET /incidents/:id': [`/incidents/${U3_INCIDENT}`],
      'GET /frames/*': [
        framePath(REPOS.alerts, alerts.commit, `/u3-gate/${U3_INCIDENT}.jpg`),
        framePath(REPOS.alerts, 'master', `/u3-gate/${U3_INCIDENT}.jpg`),
        framePath(REPOS.validated, validated.commit, '/valid/u3-gate/20261125T150000Z.jpg'),
        framePath(REPOS.raw, raw.commit, '/u3-gate/20261125T150000Z.png'),
        framePath(REPOS.raw, 'master', '/u3-gate/20261125T151000Z.jpg'),
        `/frames/raw@master/u3-gate/..%2Fu1-cam1/20261126T041500Z.png`,
        framePath(REPOS.validated, validated.commit, rejected.replace('u1-cam1', 'u3-gate')),
      ],
      'GET /reports': ['/reports?customer=u3'],
      'GET /reports/:day': ['/reports/2026-11-25?customer=u3'],
      'GET /reports/:day/page': ['/reports/2026-11-25/page?customer=u3'],
      'GET /cameras': ['/cameras'],
      'GET /cameras/:source': ['/cameras/u3-gate'],
      'GET /pipelines': ['/pipelines'],
      'POST /incidents/:id/feedback': [`/incidents/${U3_INCIDENT}/feedback`],
      'POST /signout': [],
    };
  }

  test('every route, tried by one customer with another customer ids, answers 403 or 404 or shows only their own', async () => {
    const urls = await u3Urls();
    // The walk covers every route the portal has (a new route must join it).
    const routes = app.routes.map((r) => `${r.method} ${r.path}`).filter((r) => !['GET /signin', 'POST /signin'].includes(r));
    assert.deepEqual([...new Set(routes)].sort(), Object.keys(urls).sort());

    const alice = await signedIn('alice');
    const carol = await signedIn('carol');
    const csrf = await alice.csrf();
    const feedbackBefore = await store.headCommit(REPOS.feedback).catch(() => null);
    for (const [route, list] of Object.entries(urls)) {
      for (const url of list) {
        const answer = route.startsWith('POST') ? await alice.post(url, { _csrf: csrf, action: 'false_positive' }) : await alice.get(url);
        assert.ok([200, 303, 403, 404].includes(answer.status), `${url}: ${answer.status}`);
        if (answer.status === 200 && route === 'GET /frames/*') assert.fail(`${url}: alice got the file`);
        for (const mark of U3_MARKS) assert.ok(!answer.text.includes(mark), `${url} (${answer.status}) shows alice "${mark}"`);
        if (answer.status === 303) assert.match(answer.res.headers.get('location')!, /^\/reports\/\d{4}-\d{2}-\d{2}$/, url);
      }
    }
    assert.deepEqual(
      await store.headCommit(REPOS.feedback).catch(() => null),
      feedbackBefore,
      "alice's mark on u3's incident was committed",
    );

    // The same addresses are real: carol, u3's customer, opens each one.
    for (const [route, list] of Object.entries(urls)) {
      if (route.startsWith('POST') || route === 'GET /pipelines') continue;
      for (const url of list.filter((u) => !u.includes('..%2F') && !u.includes('/rejected/'))) {
        const answer = await carol.get(url);
        assert.ok(answer.status === 200 || answer.status === 303, `${url} for carol: ${answer.status}`);
      }
    }
    assert.equal((await carol.get(`/incidents/${U3_INCIDENT}`)).status, 200);
    assert.match((await carol.get(`/incidents/${U3_INCIDENT}`)).text, /Vehicle at the gate at night on u3-gate/);
  });

  test("a customer's pages count only their cameras; an operator's every customer", async () => {
    const alice = await signedIn('alice');
    const op = await signedIn('op');
    const aliceList = (await alice.get('/incidents')).text;
    assert.ok(aliceList.includes(U1_INCIDENT) && !aliceList.includes(U3_INCIDENT));
    const opList = (await op.get('/incidents')).text;
    assert.ok(opList.includes(U1_INCIDENT) && opList.includes(U3_INCIDENT));
    assert.match(opList, /2 incidents/);
    // A customer reads their own version of a day's report; an operator may pick any.
    const aliceReport = (await alice.get('/reports/2026-11-25/page')).text;
    assert.match(aliceReport, /Daily threat report: 2026-11-25 · u1/);
    assert.ok(!aliceReport.includes('u2-yard'));
    assert.match((await op.get('/reports/2026-11-25/page')).text, /u3-gate/);
    assert.match((await op.get('/reports/2026-11-25/page?customer=u2')).text, /Daily threat report: 2026-11-25 · u2/);
    assert.equal((await alice.get('/pipelines')).status, 403);
    assert.equal((await op.get('/pipelines')).status, 200);
    // Frames of her own cameras open, with their type.
    const { commit } = await head(REPOS.alerts);
    const snapshot = await alice.request(framePath(REPOS.alerts, commit, `/u1-cam1/${U1_INCIDENT}.jpg`));
    assert.equal(snapshot.status, 200);
    assert.equal(snapshot.headers.get('content-type'), 'image/jpeg');
    assert.match(snapshot.headers.get('cache-control')!, /private/);
  });
});

describe('sign-in, sessions and forms', () => {
  test('a page without a session sends the browser to sign in, and back to the page after', async () => {
    const c = client();
    const res = await c.request(`/incidents/${U1_INCIDENT}`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/signin?next=${encodeURIComponent(`/incidents/${U1_INCIDENT}`)}`);
    const signIn = await c.signIn('alice', PASSWORDS.alice, `/incidents/${U1_INCIDENT}`);
    assert.equal(signIn.headers.get('location'), `/incidents/${U1_INCIDENT}`);
    const cookie = signIn.headers.getSetCookie().find((l) => l.startsWith('vigil_session='))!;
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.match(cookie, /; Path=\//);
    assert.equal((await c.get(`/incidents/${U1_INCIDENT}`)).status, 200);
  });

  test('a wrong password or name is refused alike; a sign-in form without its token, and a redirect off the site, are refused', async () => {
    for (const [name, password] of [
      ['alice', 'wrong-password'],
      ['nobody', PASSWORDS.alice],
    ]) {
      const c = client();
      const res = await c.signIn(name!, password!);
      assert.equal(res.status, 401);
      assert.equal(c.cookies.has('vigil_session'), false);
    }
    const c = client();
    const noToken = await c.post('/signin', { name: 'alice', password: PASSWORDS.alice });
    assert.equal(noToken.status, 403);
    assert.equal(c.cookies.has('vigil_session'), false);
    const away = await client().signIn('alice', PASSWORDS.alice, '//evil.example/x');
    assert.equal(away.headers.get('location'), '/');
  });

  test('a forged or expired session is no session; a removed user is signed out at the next request', async () => {
    const c = await signedIn('alice');
    const [payload, signature] = c.cookies.get('vigil_session')!.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), user: 'op' })).toString(
      'base64url',
    );
    const mallory = client();
    mallory.cookies.set('vigil_session', `${forged}.${signature}`);
    assert.equal((await mallory.request('/pipelines')).status, 303);

    clock += 13 * 3_600_000;
    try {
      assert.equal((await c.request('/')).status, 303);
    } finally {
      clock -= 13 * 3_600_000;
    }
    assert.equal((await c.request('/')).status, 200);

    await vigilOk(['user', 'add', 'dave', '--customer', 'u2'], { root, input: 'dave-pass-1234\n' });
    const dave = client();
    assert.equal((await dave.signIn('dave', 'dave-pass-1234')).status, 303);
    assert.equal((await dave.request('/')).status, 200);
    await vigilOk(['user', 'remove', 'dave'], { root });
    assert.equal((await dave.request('/')).status, 303);
  });

  test('every form needs its session token: another session token or none is refused and nothing is committed', async () => {
    const alice = await signedIn('alice');
    const other = await signedIn('alice');
    const before = await store.headCommit(REPOS.feedback).catch(() => null);
    for (const token of [undefined, await other.csrf()]) {
      const answer = await alice.post(`/incidents/${U1_INCIDENT}/feedback`, {
        ...(token ? { _csrf: token } : {}),
        action: 'acknowledge',
      });
      assert.equal(answer.status, 403);
      assert.match(answer.text, /CSRF token/);
    }
    assert.deepEqual(await store.headCommit(REPOS.feedback).catch(() => null), before);
    assert.equal((await alice.post('/signout', {})).status, 403);
    assert.equal((await alice.post('/signout', { _csrf: await alice.csrf() })).status, 303);
    assert.equal((await alice.request('/')).status, 303);
  });

  test('vigil user add refuses a short password, a name taken, and neither or both of --customer and --operator; users.json holds no password', async () => {
    const short = await vigil(['user', 'add', 'erin', '--customer', 'u1'], { root, input: 'short\n' });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /too short: use at least 8 characters/);
    const taken = await vigil(['user', 'add', 'alice', '--customer', 'u1'], { root, input: 'another-pass-1\n' });
    assert.match(taken.stderr, /user alice exists; add --replace/);
    const neither = await vigil(['user', 'add', 'erin'], { root, input: 'erin-pass-1234\n' });
    assert.match(neither.stderr, /give --customer USER/);
    const registry = await readFile(`${root}/users.json`, 'utf8');
    for (const password of Object.values(PASSWORDS)) assert.ok(!registry.includes(password));
    assert.match(registry, /"algorithm": "scrypt"/);
    assert.match(await vigilOk(['user', 'list'], { root }), /alice\s+customer\s+u1/);
  });
});

describe('incident handling', () => {
  test('acknowledge, close, false positive and reopen are commits of feedback records with who and when', async () => {
    const op = await signedIn('op');
    const carol = await signedIn('carol');
    const mark = async (who: PortalClient, action: string, note = '') =>
      who.post(`/incidents/${U3_INCIDENT}/feedback`, { _csrf: await who.csrf(), action, note });
    assert.equal((await mark(carol, 'acknowledge', 'looking')).status, 303);
    assert.equal((await mark(op, 'false_positive', 'a poster of a motorbike')).status, 303);
    const refused = await mark(carol, 'close');
    assert.equal(refused.status, 409);
    assert.match(refused.text, /the incident is false positive: close takes an incident that is open or acknowledged/);
    assert.equal((await mark(op, 'reopen')).status, 303);
    assert.equal((await mark(carol, 'close', 'the gate is locked')).status, 303);

    const commits = await store.listCommits(REPOS.feedback);
    assert.ok(commits.length >= 4);
    const path = `/u3-gate/${U3_INCIDENT}.json`;
    const entry = (await store.listFiles(REPOS.feedback, commits[0]!.id)).find((f) => f.path === path)!;
    const record = assertValid('feedback', JSON.parse(await readFile(store.objectPath(entry.sha256), 'utf8')), path);
    assert.equal(record.state, 'closed');
    assert.deepEqual(
      record.marks.map((m) => [m.action, m.by, m.role, m.note ?? '']),
      [
        ['acknowledge', 'carol', 'customer', 'looking'],
        ['false_positive', 'op', 'operator', 'a poster of a motorbike'],
        ['reopen', 'op', 'operator', ''],
        ['close', 'carol', 'customer', 'the gate is locked'],
      ],
    );
    for (const m of record.marks) assert.ok(Math.abs(Date.parse(m.at) - clock) < 60_000);
    // The labelled example: the alert record and first frame marked, what fired, by which model.
    assert.equal(record.incident.alert.repo, REPOS.alerts);
    assert.equal(record.incident.frame.path, '/valid/u3-gate/20261125T150000Z.jpg');
    assert.equal(record.incident.objects[0]?.label, 'motorcycle');
    assert.equal(record.incident.model?.name, 'centernet');
    // The history stays in the repo: the second commit still says false positive.
    const older = (await store.listFiles(REPOS.feedback, commits[commits.length - 2]!.id)).find((f) => f.path === path)!;
    assert.equal(JSON.parse(await readFile(store.objectPath(older.sha256), 'utf8')).state, 'false_positive');
    // The pages show it.
    const page = (await carol.get(`/incidents?state=closed`)).text;
    assert.ok(page.includes(U3_INCIDENT));
    assert.match(page, /carol, \d{4}-\d{2}-\d{2}/);
  });
});

describe('in a browser', { skip: skipWithoutChromium }, () => {
  let server: Served;
  before(async () => {
    server = await startServer(root, ['--no-pipelines']);
  });
  after(async () => {
    await server?.stop();
  });

  test('sign in, the overview, an incident, a frame and a report: each drawn, with its charts and images', async (t) => {
    const browser = await openBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/?day=2026-11-26`);
      assert.match(page.url(), /\/signin\?next=/);
      await page.fill('input[name=name]', 'op');
      await page.fill('input[name=password]', PASSWORDS.op);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/\?day=2026-11-26$/, { timeout: 30_000 });

      const overview = await page.screenshot({ fullPage: true });
      const seen = await look(overview, { critical: COLORS.critical, threats: COLORS.threats });
      assert.ok(seen.spread > 10, `the overview looks blank (grey spread ${seen.spread.toFixed(1)})`);
      assert.ok(seen.colorPixels.critical! > 1500, `the critical bar of u1 did not draw (${seen.colorPixels.critical} pixels)`);
      assert.ok(seen.colorPixels.threats! > 400, `the hour columns did not draw (${seen.colorPixels.threats} pixels)`);
      assert.match(await visibleText(page, 'main'), /2\s+threats/);
      if (process.env.VIGIL_PORTAL_SCREENSHOT) {
        await mkdir(dirname(process.env.VIGIL_PORTAL_SCREENSHOT), { recursive: true });
        await page.screenshot({ path: process.env.VIGIL_PORTAL_SCREENSHOT, fullPage: true });
        t.diagnostic(`overview screenshot: ${process.env.VIGIL_PORTAL_SCREENSHOT}`);
      }

      await page.goto(`${server.url}/incidents`);
      await page.click(`a[href="/incidents/${U1_INCIDENT}"] >> nth=0`);
      await page.waitForURL(new RegExp(`/incidents/${U1_INCIDENT}$`));
      const text = await visibleText(page, 'main');
      assert.match(text, /Person after hours on u1-cam1/);
      assert.match(text, /every sha256 matches the stored bytes/);
      assert.match(text, /email\s+s\*+y@example\.com\s+sent/);
      const images = await page.$$eval('main img', (imgs) =>
        imgs.map((i) => ({ src: i.getAttribute('src'), width: (i as unknown as { naturalWidth: number }).naturalWidth })),
      );
      assert.ok(images.length >= 3, 'the snapshot and both frames');
      for (const img of images) assert.ok(img.width > 0, `${img.src} did not load`);
      const incident = await look(await page.screenshot({ fullPage: true }), { box: '#ff1f1f' });
      assert.ok(incident.spread > 10);
      assert.ok(incident.colorPixels.box! > 2000, `no boxes drawn around the objects (${incident.colorPixels.box} pixels)`);

      const frameSrc = images.find((i) => i.src?.startsWith('/frames/validated@'))!.src!;
      const frame = await page.goto(`${server.url}${frameSrc}`);
      assert.equal(frame?.status(), 200);
      assert.equal(frame?.headers()['content-type'], 'image/jpeg');
      assert.ok((await look(await page.screenshot(), {})).spread > 10, 'the frame shows nothing');

      await page.goto(`${server.url}/reports/2026-11-26`);
      const report = page.frameLocator('iframe.report');
      assert.match(await visibleText(report, 'h1'), /Daily threat report: 2026-11-26/);
      const reportLook = await look(await page.screenshot({ fullPage: true }), { critical: COLORS.critical, threats: COLORS.threats });
      assert.ok(reportLook.colorPixels.critical! > 1000 && reportLook.colorPixels.threats! > 400, 'the report charts did not draw');
      await page.click('a:has-text("2026-11-25")');
      await page.waitForURL(/\/reports\/2026-11-25$/);
    } finally {
      await browser.close();
    }
  });

  test('a customer signed in cannot open another customer incident, nor its snapshot', async () => {
    const browser = await openBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/signin`);
      await page.fill('input[name=name]', 'carol');
      await page.fill('input[name=password]', PASSWORDS.carol);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/$/);
      const answer = await page.goto(`${server.url}/incidents/${U1_INCIDENT}`);
      assert.equal(answer?.status(), 404);
      const text = await visibleText(page, 'body');
      assert.match(text, /Not found/);
      assert.ok(!text.includes('u1-cam1') && !text.includes('Person after hours'));
      assert.equal(await page.locator('main img').count(), 0);
      const { commit } = await head(REPOS.alerts);
      assert.equal((await page.goto(`${server.url}${framePath(REPOS.alerts, commit, `/u1-cam1/${U1_INCIDENT}.jpg`)}`))?.status(), 404);
      await page.goto(`${server.url}/incidents`);
      assert.ok(!(await visibleText(page, 'main')).includes('u1-cam1'));
    } finally {
      await browser.close();
    }
  });

  test('the overview refreshes itself within 10 s when new work lands', async () => {
    const browser = await openBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/signin`);
      await page.fill('input[name=name]', 'alice');
      await page.fill('input[name=password]', PASSWORDS.alice);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/$/);
      const openCount = async () => Number(/(\d+)\s+open incidents/.exec(await visibleText(page, 'main'))?.[1]);
      assert.equal(await openCount(), 0);

      // New work: an incident of u1 that starts now, committed to alerts@master as the alert stage would.
      const entry = (await store.listFiles(REPOS.alerts, (await store.headCommit(REPOS.alerts))!.id)).find((f) =>
        f.path.endsWith(`${U1_INCIDENT}.json`),
      )!;
      const old = JSON.parse(await readFile(store.objectPath(entry.sha256), 'utf8')) as Alert;
      const now = new Date();
      const id = `u1-cam1-r200-${formatTimestamp(new Date(Math.floor(now.getTime() / 1000) * 1000))}`;
      const { snapshot: _none, ...rest } = old;
      const fresh: Alert = {
        ...rest,
        id,
        first: { ...old.first, capturedAt: now.toISOString() },
        last: { ...old.last, capturedAt: now.toISOString() },
      };
      const object = await store.addObject(Buffer.from(JSON.stringify(fresh)));
      const landed = Date.now();
      await store.commit(REPOS.alerts, 'master', { put: [{ path: `/u1-cam1/${id}.json`, ...object }] });

      const deadline = landed + 10_000;
      while ((await openCount().catch(() => 0)) !== 1) {
        assert.ok(Date.now() < deadline, 'the overview did not show the new incident within 10 s');
        await page.waitForTimeout(250);
      }
      assert.ok((await visibleText(page, 'main')).includes(id));
    } finally {
      await browser.close();
    }
  });

  test("the server's log names no password", () => {
    assert.match(server.log(), /the portal at http:\/\/127\.0\.0\.1:\d+\//);
    for (const password of Object.values(PASSWORDS)) assert.ok(!server.log().includes(password));
  });
});
