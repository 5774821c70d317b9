#include "controller/base/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace prevu::base {
namespace {

using ::testing::HasSubstr;

TEST(MetricsRegistryTest, RendersCountersOfOneFamilyUnderOneHelpLine) {
  MetricsRegistry registry;
  Counter* accepted =
      registry.AddCounter("prevu_webhooks_total", "Deliveries.", "provider=\"github\"");
  Counter* refused =
      registry.AddCounter("prevu_webhooks_total", "Deliveries.", "provider=\"gitlab\"");
  accepted->Add(3);
  refused->Add();

  std::string text = registry.Render();

  EXPECT_THAT(text, HasSubstr("prevu_webhooks_total{provider=\"github\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("prevu_webhooks_total{provider=\"gitlab\"} 1\n"));
  size_t first = text.find("# HELP prevu_webhooks_total");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("# HELP prevu_webhooks_total", first + 1), std::string::npos);
  EXPECT_THAT(text, HasSubstr("# TYPE prevu_webhooks_total counter\n"));
}

TEST(MetricsRegistryTest, RendersHistogramBucketsCumulatively) {
  MetricsRegistry registry;
  Histogram* h = registry.AddHistogram("prevu_write_seconds", "Write latency.", "", {0.001, 0.01});
  h->Observe(0.0005);
  h->Observe(0.005);
  h->Observe(5);

  std::string text = registry.Render();

  EXPECT_THAT(text, HasSubstr("prevu_write_seconds_bucket{le=\"0.001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("prevu_write_seconds_bucket{le=\"0.01\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("prevu_write_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("prevu_write_seconds_count 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE prevu_write_seconds histogram\n"));
}

TEST(MetricsRegistryTest, CollectorsAppendTheirLines) {
  MetricsRegistry registry;
  registry.AddCollector(
      [](std::string* out) { out->append("prevu_previews{phase=\"ready\"} 2\n"); });

  EXPECT_THAT(registry.Render(), HasSubstr("prevu_previews{phase=\"ready\"} 2\n"));
}

TEST(HistogramTest, QuantileInterpolatesWithinTheBucket) {
  Histogram h({1, 2, 3, 4});
  for (int i = 0; i < 100; ++i) {
    h.Observe(1.5);
  }

  double p50 = h.Quantile(0.5);

  EXPECT_GT(p50, 1.0);
  EXPECT_LE(p50, 2.0);
}

}  // namespace
}  // namespace prevu::base
