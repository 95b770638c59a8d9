/**
 * Whose secret a name is. A subscription names its secrets (PagerDuty routing key, webhook
 * signing key) only inside its customer's namespace, `VIGIL_SECRET_<user id>_<NAME>` with NAME
 * letters and digits: the user id runs to the last `_`, so no two customers can name one
 * variable, and no subscription can name an operator's secret (`VIGIL_SMTP_URL`,
 * `VIGIL_LEDGER_URL`) or another customer's. `vigil rules check` and the match step refuse any
 * other name; the alert step checks again before it reads one.
 */

export const CUSTOMER_SECRET_PREFIX = 'VIGIL_SECRET_';

/** The part after the user id: no `_`, so the name parses one way only. */
const NAME_PART = /^[A-Za-z0-9]{1,64}$/;

/** The operator's secrets: never a customer's to name, never in a record. */
export const OPERATOR_SECRETS = ['VIGIL_SMTP_URL', 'VIGIL_LEDGER_URL'] as const;

/** `VIGIL_SECRET_<user>_<name>`. */
export function customerSecret(user: string, name: string): string {
  return `${CUSTOMER_SECRET_PREFIX}${user}_${name}`;
}

/** The webhook signing key a user's webhooks use when the subscription names none. */
export function defaultWebhookSecret(user: string): string {
  return customerSecret(user, 'WEBHOOK');
}

/** Why `name` is not a secret `user` may name, or undefined when it is one. */
export function secretNameProblem(user: string, name: string): string | undefined {
  const own = `${CUSTOMER_SECRET_PREFIX}${user}_`;
  if (name.startsWith(own) && NAME_PART.test(name.slice(own.length))) return undefined;
  return `"${name}" is not a secret of user "${user}": name one as ${own}<NAME> (NAME letters and digits), e.g. ${customerSecret(user, 'PAGERDUTY')}`;
}
