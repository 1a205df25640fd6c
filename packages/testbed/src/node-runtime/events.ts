import type { V1Pod } from '@kubernetes/client-node';
import type { NodeApi } from './api.js';
import { type Logger, errorMessage } from './logger.js';

export type EventType = 'Normal' | 'Warning';

/** Posts pod events as kubelet does (`kubectl describe pod` shows them); never throws. */
export class EventRecorder {
  constructor(
    private readonly api: NodeApi,
    private readonly nodeName: string,
    private readonly log: Logger,
  ) {}

  record(pod: V1Pod, type: EventType, reason: string, message: string): void {
    const meta = pod.metadata ?? {};
    const now = new Date();
    void this.api.core
      .createNamespacedEvent({
        namespace: meta.namespace ?? 'default',
        body: {
          metadata: { generateName: `${meta.name}.`, namespace: meta.namespace },
          involvedObject: {
            apiVersion: 'v1',
            kind: 'Pod',
            name: meta.name,
            namespace: meta.namespace,
            uid: meta.uid,
          },
          type,
          reason,
          message,
          source: { component: 'kubelet', host: this.nodeName },
          reportingComponent: 'kubelet',
          reportingInstance: this.nodeName,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((e: unknown) =>
        this.log('warn', 'cannot post an event', { reason, error: errorMessage(e) }),
      );
  }
}
