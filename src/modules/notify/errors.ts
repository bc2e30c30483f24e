import { notFound, validationError } from '../../core/errors.js';
import { ALERT_TYPES, CHANNELS } from './catalog.js';

export const notifyErrors = {
  notificationNotFound: () => notFound('notification_not_found', 'No such notification.'),
  unknownAlertType: (field: string, value: string) =>
    validationError('unknown_alert_type', `Unknown alert type ${JSON.stringify(value)}; known types: ${ALERT_TYPES.join(', ')}.`, field),
  unknownChannel: (field: string, value: string) =>
    validationError('unknown_channel', `Unknown channel ${JSON.stringify(value)}; channels: ${CHANNELS.join(', ')}.`, field),
  channelRequired: (field: string, type: string, channel: string) =>
    validationError('alert_channel_required', `The ${channel} channel of ${type} alerts cannot be turned off: it is a security alert.`, field),
  thresholdsNotSupported: (field: string, type: string) =>
    validationError('thresholds_not_supported', `${type} alerts take no thresholds; only low_balance and large_transaction do.`, field),
  duplicateAlertType: (field: string, type: string) => validationError('duplicate_alert_type', `The alert type ${type} is listed twice.`, field),
  duplicateThresholdCurrency: (field: string, currency: string) =>
    validationError('duplicate_threshold_currency', `Only one threshold per currency; ${currency} is listed twice.`, field),
};
