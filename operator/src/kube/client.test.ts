import { describe, expect, it } from 'vitest';
import { resourceOf, verbOf } from './client.js';

describe('resourceOf (the resource label of the API request metric)', () => {
  it.each([
    ['/api/v1/namespaces/ns/secrets/db', 'secrets'],
    ['/api/v1/namespaces/ns/pods', 'pods'],
    ['/apis/iotpipe.io/v1alpha1/namespaces/ns/iotpipelines/p/status', 'iotpipelines/status'],
    ['/apis/iotpipe.io/v1alpha1/iotpipelines', 'iotpipelines'],
    ['/apis/events.k8s.io/v1/namespaces/ns/events/e.1?x=1', 'events'],
    ['/apis/coordination.k8s.io/v1/namespaces/ns/leases/iotpipe-operator', 'leases'],
  ])('%s -> %s', (path, resource) => {
    expect(resourceOf(path)).toBe(resource);
  });
});

describe('verbOf', () => {
  it('calls a collection GET a LIST', () => {
    expect(verbOf('GET', '/apis/iotpipe.io/v1alpha1/namespaces/ns/iotpipelines?limit=500')).toBe('LIST');
    expect(verbOf('GET', '/apis/iotpipe.io/v1alpha1/iotpipelines')).toBe('LIST');
    expect(verbOf('GET', '/api/v1/namespaces/ns/secrets/db')).toBe('GET');
    expect(verbOf('PATCH', '/api/v1/namespaces/ns/services/s')).toBe('PATCH');
  });
});
