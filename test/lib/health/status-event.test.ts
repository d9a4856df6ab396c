import { expect } from 'chai';
import { ORG_STATUS_EVENT, orgStatusEvent, severityOf } from '../../../lib/health/index.js';

describe('Org_Status__e payload', () => {
  it('maps a transition to the platform event fields', () => {
    expect(ORG_STATUS_EVENT).to.equal('Org_Status__e');
    const at = Date.UTC(2025, 0, 6, 12, 30, 0);
    expect(orgStatusEvent({ orgId: '00D000000000001AAA', orgName: 'alpha', status: 'degraded', previous: 'available', severity: 'warning', reason: 'Slow', at, latencyMs: 412.6 })).to.deep.equal({
      Org_Id__c: '00D000000000001AAA',
      Org_Name__c: 'alpha',
      Status__c: 'degraded',
      Previous_Status__c: 'available',
      Severity__c: 'warning',
      Reason__c: 'Slow',
      Latency_Ms__c: 413,
      Checked_At__c: '2025-01-06T12:30:00.000Z',
    });
  });

  it('fits long reasons into a text field and leaves unknowns empty', () => {
    const e = orgStatusEvent({ orgId: 'x', orgName: 'y', status: 'unavailable', severity: 'critical', reason: 'r'.repeat(400), at: 0, latencyMs: null });
    expect(e.Reason__c).to.have.length(255);
    expect(e.Reason__c.endsWith('…')).to.equal(true);
    expect(e.Latency_Ms__c).to.equal(null);
    expect(e.Previous_Status__c).to.equal(null);
  });

  it('grades severity by status', () => {
    expect(['available', 'degraded', 'unavailable'].map((s) => severityOf(s as 'available'))).to.deep.equal(['info', 'warning', 'critical']);
  });
});
