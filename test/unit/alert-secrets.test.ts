import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { secretNameProblem } from '../../src/contract/secret-names.js';
import type { PipelineSpec } from '../../src/engine/pps/spec.js';
import { stepEnvironment } from '../../src/engine/pps/step-env.js';
import { smtpOptions } from '../../steps/alert/channels/smtp-url.js';
import { maskedUrl, readCustomerSecret, readSecret } from '../../steps/alert/secrets.js';
import { compilePolicy } from '../../steps/match/rules.js';
import { tempDir } from '../helpers/cli.js';

describe('alert: secrets', () => {
  it('takes the variable first, else the file the mounted secret holds, else nothing', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'VIGIL_PD_KEY_U1'), 'rk-from-file\n');
    const env = { VIGIL_SECRETS_DIR: dir };
    assert.equal(await readSecret('VIGIL_PD_KEY_U1', { ...env, VIGIL_PD_KEY_U1: 'rk-from-env' }), 'rk-from-env');
    assert.equal(await readSecret('VIGIL_PD_KEY_U1', env), 'rk-from-file');
    assert.equal(await readSecret('VIGIL_PD_KEY_U2', env), undefined);
    assert.equal(await readSecret('VIGIL_PD_KEY_U1', { VIGIL_SECRETS_DIR: join(dir, 'not-mounted') }), undefined);
    assert.equal(await readSecret('../VIGIL_PD_KEY_U1', { VIGIL_SECRETS_DIR: join(dir, 'sub') }), undefined);
  });
});

describe('alert: secrets are scoped', () => {
  const check = (alerts: string) =>
    assert.throws(() =>
      compilePolicy(
        {
          rules: Buffer.from('rules:\n  - {id: 1, name: People, classes: [person]}\n'),
          subscriptions: Buffer.from(`users:\n  - id: u1\n    alerts: ${alerts}\n    devices: [{id: cam1, rules: [1]}]\n`),
        },
        null,
      ),
    );

  it('a subscription names only VIGIL_SECRET_<its user>_<NAME>', () => {
    assert.equal(secretNameProblem('u1', 'VIGIL_SECRET_u1_PD'), undefined);
    assert.equal(secretNameProblem('u_1', 'VIGIL_SECRET_u_1_PD'), undefined);
    for (const name of [
      'VIGIL_SMTP_URL',
      'VIGIL_LEDGER_URL',
      'VIGIL_SECRET_u2_PD',
      'VIGIL_SECRET_u1_PD_KEY',
      'VIGIL_SECRET_U1_PD',
      'HOME',
    ]) {
      assert.match(secretNameProblem('u1', name) ?? '', /is not a secret of user "u1"/, name);
    }
    // User u1_PD cannot reach into u1's namespace, nor u1 into u1_PD's: the name part has no `_`.
    assert.ok(secretNameProblem('u1', 'VIGIL_SECRET_u1_PD_KEY'));
    assert.equal(secretNameProblem('u1_PD', 'VIGIL_SECRET_u1_PD_KEY'), undefined);
  });

  it('vigil rules check refuses another variable as a routing key or signing key, and unsafe webhook URLs, without echoing them', () => {
    const message = (alerts: string) => {
      try {
        compilePolicy(
          {
            rules: Buffer.from('rules:\n  - {id: 1, name: People, classes: [person]}\n'),
            subscriptions: Buffer.from(`users:\n  - id: u1\n    alerts: ${alerts}\n    devices: [{id: cam1, rules: [1]}]\n`),
          },
          null,
        );
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.match(message('{pagerduty: {routingKeyEnv: VIGIL_SMTP_URL}}'), /routingKeyEnv: "VIGIL_SMTP_URL" is not a secret of user "u1"/);
    assert.match(
      message('{webhook: ["https://h.example.com/x"], webhookSecretEnv: VIGIL_SECRET_u2_HOOK}'),
      /webhookSecretEnv: .*not a secret of user "u1"/,
    );
    const refused = message(
      '{webhook: ["https://h.example.com/x?token=tok-secret-99", "http://h.example.com/x", "https://169.254.169.254/latest", "https://10.1.2.3/"]}',
    );
    assert.match(refused, /webhook\[0\]: the URL carries a query/);
    assert.match(refused, /webhook\[1\]: the URL uses http:\/\//);
    assert.match(refused, /webhook\[2\]: the URL points at 169\.254\.169\.254 is a private, link-local or reserved address/);
    assert.match(refused, /webhook\[3\]: the URL points at 10\.1\.2\.3/);
    assert.ok(!refused.includes('tok-secret-99'));
    assert.equal(
      message('{pagerduty: {routingKeyEnv: VIGIL_SECRET_u1_PD}, webhook: ["https://h.example.com/x", "http://127.0.0.1:8080/x"]}'),
      '',
    );
    check('{pagerduty: {routingKeyEnv: VIGIL_SECRET_u2_PD}}');
  });

  it('the alert step reads a customer secret only under its own name', async () => {
    const env = { VIGIL_SMTP_URL: 'smtp://u:p@h', VIGIL_SECRET_u1_PD: 'rk' };
    assert.deepEqual(await readCustomerSecret('u1', 'VIGIL_SECRET_u1_PD', 'key', env), { value: 'rk' });
    assert.ok('refused' in (await readCustomerSecret('u1', 'VIGIL_SMTP_URL', 'key', env)));
    assert.ok('unset' in (await readCustomerSecret('u1', 'VIGIL_SECRET_u1_OTHER', 'key', { VIGIL_SECRETS_DIR: '/nonexistent' })));
  });

  it('a bad VIGIL_SMTP_URL is one error naming the variable, the password masked', () => {
    assert.throws(
      () => smtpOptions('smtp://user:pa55@host:notaport/'),
      (e: Error) =>
        e.message.startsWith('VIGIL_SMTP_URL (smtp://user:****@host:notaport/) is not a valid SMTP URL') && !e.message.includes('pa55'),
    );
    assert.throws(() => smtpOptions('http://user:pa55@host/'), /the scheme is http/);
    assert.deepEqual(smtpOptions('smtps://a%40b:p%2Fw@mail.example.com'), {
      host: 'mail.example.com',
      port: 465,
      secure: true,
      auth: { user: 'a@b', pass: 'p/w' },
    });
    assert.equal(maskedUrl('postgres://vigil:s3cret@db:5432/x'), 'postgres://vigil:****@db:5432/x');
  });

  it('the engine hands a step only the base, its spec env and the secrets its spec declares', () => {
    const caller = {
      PATH: '/bin',
      HOME: '/h',
      AWS_SECRET_ACCESS_KEY: 'aws',
      VIGIL_PAGERDUTY_SERVER: 'pd:1',
      VIGIL_SMTP_URL: 'smtp://u:p@h',
      VIGIL_SECRET_u1_PD: 'rk',
      VIGIL_SECRETS_DIR: '/s',
      PPS_WORKER_GRPC_PORT: '1',
    };
    const spec = (secrets: PipelineSpec['transform']['secrets']) =>
      ({ transform: { env: { FROM_SPEC: 'x' }, secrets } }) as unknown as PipelineSpec;
    assert.deepEqual(stepEnvironment(caller, spec([])), { PATH: '/bin', HOME: '/h', VIGIL_PAGERDUTY_SERVER: 'pd:1', FROM_SPEC: 'x' });
    assert.deepEqual(stepEnvironment(caller, spec([{ name: 'vigil-alerts', mountPath: '/var/run/secrets/vigil' }])), {
      PATH: '/bin',
      HOME: '/h',
      VIGIL_PAGERDUTY_SERVER: 'pd:1',
      FROM_SPEC: 'x',
      VIGIL_SMTP_URL: 'smtp://u:p@h',
      VIGIL_SECRET_u1_PD: 'rk',
    });
    assert.deepEqual(
      stepEnvironment(caller, spec([{ name: 'smtp', envVar: 'VIGIL_SMTP_URL', key: 'url' }])).VIGIL_SMTP_URL,
      'smtp://u:p@h',
    );
  });
});
