// Routing: exact host names, case folded, port ignored, and whole-table swaps seen by readers.
#include "proxy/route_table.h"

#include <gtest/gtest.h>

#include "proxy/route_store.h"
#include "tests/proxy/proxy_test_support.h"

namespace prevu::proxy {
namespace {

using testing::ReadyRoute;

TEST(RouteTableTest, FindsExactHostIgnoringCaseAndPort) {
  auto table = RouteTable::Build({ReadyRoute("pr-12-shop.preview.example.com", 3000)});

  const RouteEntry* entry = table->Lookup("PR-12-Shop.Preview.Example.COM:8080");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->upstream.port, 3000);
  EXPECT_TRUE(entry->resolved);
  EXPECT_NE(table->Lookup("pr-12-shop.preview.example.com."), nullptr);
  EXPECT_EQ(table->Lookup("pr-12-shop.preview.example.co"), nullptr);
  EXPECT_EQ(table->Lookup("x.pr-12-shop.preview.example.com"), nullptr);
  EXPECT_EQ(table->Lookup(""), nullptr);
}

TEST(RouteTableTest, PublishedHostsAreFoldedAndFirstDuplicateWins) {
  auto table =
      RouteTable::Build({ReadyRoute("Shop.Example.com:443", 1), ReadyRoute("shop.example.com", 2)});

  ASSERT_EQ(table->size(), 1u);
  EXPECT_EQ(table->Lookup("shop.example.com")->upstream.port, 1);
}

TEST(RouteTableTest, IpLiteralHostsKeepTheirBrackets) {
  auto table = RouteTable::Build({ReadyRoute("[::1]", 7)});

  EXPECT_NE(table->Lookup("[::1]:8080"), nullptr);
  EXPECT_EQ(table->Lookup("::1"), nullptr);
}

TEST(RouteTableTest, NotReadyAndUnresolvableRoutesAreKeptAndMarked) {
  Route building;
  building.host = "building.example.com";
  Route bad = ReadyRoute("bad.example.com", 80);
  bad.upstream_host = "no-such-host.invalid";

  auto table = RouteTable::Build({building, bad});

  ASSERT_NE(table->Lookup("building.example.com"), nullptr);
  EXPECT_FALSE(table->Lookup("building.example.com")->route.ready);
  ASSERT_NE(table->Lookup("bad.example.com"), nullptr);
  EXPECT_FALSE(table->Lookup("bad.example.com")->resolved);
}

TEST(RouteTableTest, TooLongHostFindsNothing) {
  auto table = RouteTable::Build({ReadyRoute("a.example.com", 1)});

  EXPECT_EQ(table->Lookup(std::string(300, 'a')), nullptr);
}

TEST(RouteStoreTest, ReaderSeesEachPublishAndKeepsItsSnapshotUntilThen) {
  RouteStore store;
  RouteReader reader(&store);
  EXPECT_EQ(reader.Get().Lookup("a.example.com"), nullptr);

  store.Publish({ReadyRoute("a.example.com", 1)});
  const RouteTable& first = reader.Get();
  ASSERT_NE(first.Lookup("a.example.com"), nullptr);

  store.Publish({ReadyRoute("b.example.com", 2)});
  // The old snapshot stays valid (held by the reader) until the reader refreshes.
  EXPECT_NE(first.Lookup("a.example.com"), nullptr);
  EXPECT_EQ(reader.Get().Lookup("a.example.com"), nullptr);
  EXPECT_NE(reader.Get().Lookup("b.example.com"), nullptr);
}

TEST(RouteStoreTest, VersionIncreasesOnEveryPublish) {
  RouteStore store;
  uint64_t before = store.version();

  store.Publish({});
  store.Publish({});

  EXPECT_EQ(store.version(), before + 2);
}

}  // namespace
}  // namespace prevu::proxy
