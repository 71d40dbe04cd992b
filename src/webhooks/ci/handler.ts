import { acceptNotification } from '../accept-notification.js';
import { deliveryId } from '../delivery-dedup.js';
import type { WebhookHandler } from '../json-route.js';
import { decodeJson, header, parsePayload, readSignedBody } from '../signed-request.js';
import type { WebhookContext } from '../webhook-context.js';
import { WebhookError, WebhookErrorCode } from '../webhook-error.js';
import { fromCiEvent } from './notify.js';
import { CiEvent, DeliveryId } from './schemas.js';

export interface CiWebhookOptions {
  secret: string | undefined;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
}

/** `POST /webhooks/ci`: the generic event, signed with `X-Apollo-Signature: sha256=<hex>`. */
export function ciWebhook(ctx: WebhookContext, options: CiWebhookOptions): WebhookHandler {
  return async (req) => {
    const raw = await readSignedBody(req, {
      secret: options.secret,
      secretName: 'CI_WEBHOOK_SECRET',
      header: 'X-Apollo-Signature',
      ...(options.maxBodyBytes ? { maxBytes: options.maxBodyBytes } : {}),
    });
    const deliveryHeader = header(req, 'x-apollo-delivery');
    if (deliveryHeader !== undefined && !DeliveryId.safeParse(deliveryHeader).success) {
      throw new WebhookError(WebhookErrorCode.PayloadInvalid, 400, 'invalid X-Apollo-Delivery header', {
        details: ['X-Apollo-Delivery: expected 1–200 characters of A-Z a-z 0-9 . _ : -'],
      });
    }
    const event = parsePayload(CiEvent, decodeJson(raw, header(req, 'content-type')), 'CI event');
    const delivery = { source: 'ci' as const, id: deliveryId(deliveryHeader ?? event.id, raw) };
    return acceptNotification(ctx, delivery, fromCiEvent(event));
  };
}
