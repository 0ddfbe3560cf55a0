import { POSTGRES_FLAVOR_CHOICES } from '@iotpipe/local';
import { describe, expect, it } from 'vitest';
import { FLAVOR_CHOICES } from './migrator.js';

describe('POSTGRES_FLAVOR', () => {
  it('takes the same values in the migrator and in the local stack, which both read it', () => {
    expect([...FLAVOR_CHOICES]).toEqual([...POSTGRES_FLAVOR_CHOICES]);
  });
});
