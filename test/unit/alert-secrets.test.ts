import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readSecret } from '../../steps/alert/secrets.js';
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
