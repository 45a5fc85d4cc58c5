import { createRouteMatcher } from '@bulwark/runtime';
import { UNMATCHED_ENDPOINT } from '../../../runtime/src/internal';

describe('createRouteMatcher', () => {
  const match = createRouteMatcher(['/providers', '/providers/:id', '/providers/:id/summary', '/providers/search', 'POST /orders', '/']);

  it('answers the template, never the raw path', () => {
    expect(match('GET', '/providers/123')).toBe('/providers/:id');
    expect(match('GET', '/providers/123/summary?full=1')).toBe('/providers/:id/summary');
    expect(match('GET', '/providers?page=2')).toBe('/providers');
    expect(match('GET', '/providers/')).toBe('/providers');
    expect(match('GET', '/')).toBe('/');
  });

  it('prefers a static segment over a parameter', () => {
    expect(match('GET', '/providers/search')).toBe('/providers/search');
  });

  it('answers unmatched for unknown paths, wrong methods and junk', () => {
    for (const path of ['/providers/1/2/3', '/nope', '/providers//summary', 'http://evil/x', '*', '']) {
      expect(match('GET', path)).toBe(UNMATCHED_ENDPOINT);
    }
    expect(match('POST', '/orders')).toBe('/orders');
    expect(match('GET', '/orders')).toBe(UNMATCHED_ENDPOINT);
  });

  it('compares whole segments only: a static segment is not a prefix match', () => {
    expect(match('GET', '/providersX')).toBe(UNMATCHED_ENDPOINT);
    expect(match('GET', '/providers/searchX')).toBe('/providers/:id');
    expect(match('GET', '/providers/sea')).toBe('/providers/:id');
    expect(match('GET', '/providers/search/summary')).toBe('/providers/:id/summary');
    expect(match('GET', '/provider/1')).toBe(UNMATCHED_ENDPOINT);
    // Same length as a static path but a different one: falls through to the tree.
    expect(match('GET', '/providers/abcdef')).toBe('/providers/:id');
    expect(match('GET', '/xroviders')).toBe(UNMATCHED_ENDPOINT);
  });

  it('names the bad template and the fix', () => {
    expect(() => createRouteMatcher(['providers/:id'])).toThrow(/route template "providers\/:id" is invalid: write a path starting with "\/"/);
    expect(() => createRouteMatcher(['/a/:'])).toThrow(/needs a parameter name/);
  });
});
