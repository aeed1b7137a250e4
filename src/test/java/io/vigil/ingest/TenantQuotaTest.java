package io.vigil.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TenantQuotaTest {
  @Test
  @DisplayName("a full bucket takes one second of events; past it the wait is how long the missing events take")
  void bucket() {
    TenantQuota q = new TenantQuota(100, 10);
    assertEquals(0, q.acquire("acme", 100, 0));
    assertEquals(100, q.acquire("acme", 10, 0), "10 events at 100/s: 100 ms");
    assertEquals(0, q.acquire("acme", 10, 100), "refilled after 100 ms");
    assertEquals(0, q.acquire("globex", 100, 100), "each tenant has its own bucket");
  }

  @Test
  @DisplayName("a refused request takes nothing, and the bucket never holds more than its capacity")
  void refused_takes_nothing() {
    TenantQuota q = new TenantQuota(10, 50);
    assertEquals(0, q.acquire("acme", 50, 0), "capacity is at least one full request");
    long wait = q.acquire("acme", 50, 1_000);
    assertEquals(4_000, wait, "10 of 50 refilled after 1 s: 4 s more");
    assertEquals(0, q.acquire("acme", 10, 1_000), "the refused request took nothing");
    assertEquals(0, q.acquire("acme", 50, 1_000_000));
    assertTrue(q.acquire("acme", 1, 1_000_000) > 0, "an hour idle does not bank more than the capacity");
  }

  @Test
  @DisplayName("no quota configured: everything passes")
  void off() {
    TenantQuota q = new TenantQuota(0, 1000);
    for (int i = 0; i < 100; i++) {
      assertEquals(0, q.acquire("acme", 1000, 0));
    }
  }
}
