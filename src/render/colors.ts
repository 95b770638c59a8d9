/** The charts' colours, one meaning each, shared by the daily reports and the portal so that a colour reads the same everywhere. */
export const COLORS = {
  critical: '#c92a2a',
  error: '#e8590c',
  warning: '#f59f00',
  info: '#1c7ed6',
  threats: '#364fc7',
  rejections: '#7048e8',
  sent: '#2f9e44',
  failed: '#c92a2a',
  skipped: '#adb5bd',
  grouped: '#74c0fc',
} as const;

/** The severities of a rule, most severe first. */
export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
