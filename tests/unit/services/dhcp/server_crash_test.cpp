// services/dhcp server engine and lease store together, under random crashes: 1000 random
// operations (DORA in group-committed batches, renew, INIT-REBOOT, RELEASE, DECLINE, time
// passing, compaction) by 200 clients over a pool of 60, with "crashes" (the store and the
// engine dropped, sometimes with unsynced changes, a torn write or a half-done compaction left
// on disk) followed by a reload from the file. Checked throughout: no two clients ever hold
// the same address (by what the clients were told), every ACK sent was durable (after a
// reload the lease is there, unchanged), and the engine's state has one address per client.
#include "weft/services/dhcp/lease_store.hpp"
#include "weft/services/dhcp/server_engine.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <unistd.h>

#include <gtest/gtest.h>

#include "server_test_support.hpp"

namespace weft::dhcp {
namespace {

namespace fs = std::filesystem;
using namespace server_test;

constexpr int kClients = 200;
constexpr int kOperations = 1000;

// What a client believes after the replies it got.
struct Belief {
    Ipv4Address address;
    WallTime until{};
};

class CrashWorld {
public:
    explicit CrashWorld(std::string path) : path_(std::move(path)) {
        cfg_ = config(10, 69);
        cfg_.lease_time = 1200s;
        cfg_.decline_quarantine = 300s;
        for (int i = 0; i < kClients; ++i) {
            clients_.emplace_back(static_cast<std::uint8_t>(i));
            // Half the clients send a client identifier (and the MACs repeat past 255 anyway).
            if (i % 2 == 1) clients_.back().client_id = bytes_of({0xff, 0, 0, std::uint8_t(i >> 8), std::uint8_t(i)});
        }
        beliefs_.resize(kClients);
        boot();
    }

    void run(std::uint32_t seed) {
        std::mt19937 rng(seed);
        auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
        for (int op = 0; op < kOperations && !::testing::Test::HasFatalFailure(); ++op) {
            const int roll = pick(100);
            if (roll < 30) {
                std::vector<int> batch;
                for (int k = 1 + pick(4); k > 0; --k) batch.push_back(pick(kClients));
                dora_batch(batch, pick(100) < 6);
            } else if (roll < 45) {
                renew(pick(kClients), pick(100) < 5);
            } else if (roll < 52) {
                init_reboot(pick(kClients));
            } else if (roll < 60) {
                release(pick(kClients), pick(100) < 5);
            } else if (roll < 64) {
                decline(pick(kClients));
            } else if (roll < 86) {
                now_ += std::chrono::seconds(1 + pick(120));
            } else if (roll < 93) {
                crash(static_cast<CrashKind>(pick(3)), rng);
            } else {
                ASSERT_TRUE(store_->compact(engine_->records(now_)));
            }
            check_engine();
            check_beliefs();
        }
        crash(CrashKind::clean, rng);
        EXPECT_GT(acks_, 300) << "the mix exercised the server";
        EXPECT_GT(crashes_, 20);
        EXPECT_GT(refusals_, 0) << "the pool ran full at times";
    }

private:
    enum class CrashKind { clean, torn_write, half_compaction };

    void boot() {
        auto opened = LeaseStore::open(path_);
        ASSERT_TRUE(opened) << opened.error();
        ASSERT_FALSE(opened->log.damaged()) << opened->log.issues[0].to_string();
        engine_.emplace(ServerEngine::create(cfg_).value());
        EXPECT_EQ(engine_->restore(opened->log.records), 0u);
        store_.emplace(std::move(opened->store));
        // Every ACK that left is on disk, exactly as promised.
        for (const auto& [key, promise] : promised_) {
            if (promise.second <= now_) continue;
            const auto* e = engine_->table().find(Ipv4Address(key));
            ASSERT_NE(e, nullptr) << Ipv4Address(key).to_string() << " lost in a crash";
            EXPECT_EQ(e->client, promise.first) << Ipv4Address(key).to_string();
            EXPECT_EQ(e->state, LeaseTable::State::bound);
            EXPECT_EQ(e->lease_end, promise.second);
        }
    }

    template <class Rng>
    void crash(CrashKind kind, Rng& rng) {
        ++crashes_;
        store_.reset();
        engine_.reset();
        if (kind == CrashKind::torn_write) {
            // A batch was being written when the power went: part of a line reached the disk.
            const std::string line = format_lease_line(
                {LeaseEvent::lease, pool_address(10 + rng() % 60), ClientKey::parse("hw:01020000000099").value(),
                 mac(99), now_ + 600s});
            std::ofstream(path_, std::ios::app | std::ios::binary) << line.substr(0, 1 + rng() % (line.size() - 1));
        } else if (kind == CrashKind::half_compaction) {
            std::ofstream(path_ + ".tmp", std::ios::binary) << "lease 198.18.0.10 hw:0102";
        }
        boot();
    }

    // The replies of a batch leave only after its sync; a crash before it loses them all.
    bool commit(std::vector<ServerOutcome>& outcomes, bool crash_first) {
        for (auto& out : outcomes) store_->append(out.changes);
        if (crash_first) {
            std::minstd_rand rng(static_cast<unsigned>(acks_));
            crash(CrashKind::clean, rng);
            return false;
        }
        auto ok = store_->sync();
        EXPECT_TRUE(ok) << ok.error();
        for (auto& out : outcomes) apply_changes(out);
        return true;
    }

    void apply_changes(const ServerOutcome& out) {
        for (const auto& c : out.changes) {
            const auto key = c.address.to_uint();
            if (c.event != LeaseEvent::lease) {
                promised_.erase(key);
                continue;
            }
            if (auto it = promised_.find(key); it != promised_.end() && it->second.first != c.client) {
                EXPECT_LE(it->second.second, now_)
                    << c.address.to_string() << " promised to " << it->second.first.to_text() << " and to "
                    << c.client.to_text();
            }
            promised_[key] = {c.client, c.time};
        }
        if (out.reply && type_of(out) == DhcpMessageType::Ack && !out.reply->yiaddr.is_unspecified()) {
            ++acks_;
            const bool durable = std::any_of(out.changes.begin(), out.changes.end(), [&](const LeaseRecord& r) {
                return r.event == LeaseEvent::lease && r.address == out.reply->yiaddr;
            });
            EXPECT_TRUE(durable) << "an ACK without its lease record";
        }
    }

    // A client acts on a reply (after the batch was committed).
    void receive(int i, const ServerOutcome& out) {
        const auto type = type_of(out);
        if (type == DhcpMessageType::Ack) {
            beliefs_[i] = {out.reply->yiaddr, now_ + cfg_.lease_time};
        } else if (type == DhcpMessageType::Nak) {
            beliefs_[i] = {};
        }
    }

    void dora_batch(const std::vector<int>& who, bool crash_first) {
        std::vector<ServerOutcome> outcomes;
        std::vector<int> requesters;
        for (int i : who) {
            auto offer = engine_->handle(clients_[i].discover(), now_);
            if (!offer.reply) {
                ++refusals_;
                EXPECT_NE(offer.note.find("is full"), std::string::npos) << offer.note;
                continue;
            }
            outcomes.push_back(engine_->handle(clients_[i].select(offer.reply->yiaddr), now_));
            requesters.push_back(i);
        }
        if (!commit(outcomes, crash_first)) return;
        for (std::size_t k = 0; k < outcomes.size(); ++k) receive(requesters[k], outcomes[k]);
    }

    void renew(int i, bool crash_first) {
        if (beliefs_[i].until <= now_) return;
        std::vector<ServerOutcome> outcomes{engine_->handle(clients_[i].renew(beliefs_[i].address), now_)};
        if (commit(outcomes, crash_first)) receive(i, outcomes[0]);
    }

    void init_reboot(int i) {
        const Ipv4Address address = beliefs_[i].until > now_ ? beliefs_[i].address : pool_address(10 + i % 60);
        std::vector<ServerOutcome> outcomes{engine_->handle(clients_[i].init_reboot(address), now_)};
        if (commit(outcomes, false)) receive(i, outcomes[0]);
    }

    void release(int i, bool crash_first) {
        if (beliefs_[i].until <= now_) return;
        std::vector<ServerOutcome> outcomes{engine_->handle(clients_[i].release(beliefs_[i].address), now_)};
        beliefs_[i] = {};  // the client stops using it whether or not the server hears
        commit(outcomes, crash_first);
    }

    void decline(int i) {
        if (beliefs_[i].until <= now_) return;
        std::vector<ServerOutcome> outcomes{engine_->handle(clients_[i].decline(beliefs_[i].address), now_)};
        beliefs_[i] = {};
        commit(outcomes, false);
    }

    // No two clients believe they hold the same address at the same time.
    void check_beliefs() {
        std::map<std::uint32_t, int> holder;
        for (int i = 0; i < kClients; ++i) {
            if (beliefs_[i].until <= now_) continue;
            auto [it, added] = holder.emplace(beliefs_[i].address.to_uint(), i);
            EXPECT_TRUE(added) << beliefs_[i].address.to_string() << " held by clients " << it->second << " and " << i;
        }
    }

    // The durable state names each client once, and each address once.
    void check_engine() {
        std::set<ClientKey> clients;
        std::set<Ipv4Address> addresses;
        for (const auto& r : engine_->records(now_)) {
            EXPECT_TRUE(addresses.insert(r.address).second);
            if (!r.client.empty()) {
                EXPECT_TRUE(clients.insert(r.client).second) << r.client.to_text() << " on two addresses";
                EXPECT_EQ(engine_->table().address_of(r.client), r.address);
            }
        }
    }

    std::string path_;
    ServerConfig cfg_;
    std::vector<TestClient> clients_;
    std::vector<Belief> beliefs_;
    std::map<std::uint32_t, std::pair<ClientKey, WallTime>> promised_;  ///< ACKs sent
    std::optional<LeaseStore> store_;
    std::optional<ServerEngine> engine_;
    WallTime now_ = kT0;
    int acks_ = 0, crashes_ = 0, refusals_ = 0;
};

class DhcpServerCrash : public ::testing::TestWithParam<std::uint32_t> {
protected:
    void SetUp() override {
        std::string templ = (fs::path(::testing::TempDir()) / "weft-crash-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        dir_ = templ;
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_P(DhcpServerCrash, NoAddressTwiceAndEveryAckSurvives) {
    CrashWorld world((dir_ / "leases").string());
    world.run(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Seeds, DhcpServerCrash, ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace weft::dhcp
