import { describe, expect, it } from 'vitest';
import { registryUrlFor } from './client.js';

describe('registryUrlFor: the registry the workloads use, seen from the operator', () => {
  it.each([
    [
      'http://apicurio-registry:8080/apis/ccompat/v7',
      'plant-a',
      'http://apicurio-registry.plant-a.svc:8080/apis/ccompat/v7',
    ],
    [
      'http://apicurio-registry.shared:8080/apis/ccompat/v7',
      'plant-a',
      'http://apicurio-registry.shared:8080/apis/ccompat/v7',
    ],
    ['http://127.0.0.1:8081/apis/ccompat/v7', 'plant-a', 'http://127.0.0.1:8081/apis/ccompat/v7'],
    ['http://localhost:8081/apis/ccompat/v7', 'plant-a', 'http://localhost:8081/apis/ccompat/v7'],
    [
      'https://registry.example.com/apis/ccompat/v7/',
      'plant-a',
      'https://registry.example.com/apis/ccompat/v7/',
    ],
    ['http://[::1]:8081/x', 'plant-a', 'http://[::1]:8081/x'],
  ])('%s in %s -> %s', (url, namespace, want) => {
    expect(registryUrlFor(url, namespace)).toBe(want);
  });
});
