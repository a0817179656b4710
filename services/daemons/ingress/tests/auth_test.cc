#include <gtest/gtest.h>

#include "services/lib/crypto/sha256.h"
#include "services/daemons/ingress/auth.h"
#include "services/daemons/ingress/event_mapping.h"

namespace caselink::ingress {
namespace {

TEST(TokenAuthenticator, MatchesTheHashedTokenOfTheRightAgency) {
  auto auth = TokenAuthenticator::create({{"sthjj-330100", crypto::sha256_hex("env-secret")},
                                          {"swj-330100", crypto::sha256_hex("tax-secret")}});
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->agency_for_token("env-secret"), "sthjj-330100");
  EXPECT_EQ(auth->agency_for_token("tax-secret"), "swj-330100");
  EXPECT_EQ(auth->agency_for_token("env-secreT"), std::nullopt);
  EXPECT_EQ(auth->agency_for_token(""), std::nullopt);
  // The configured value is the hash: presenting the hash itself is not the token.
  EXPECT_EQ(auth->agency_for_token(crypto::sha256_hex("env-secret")), std::nullopt);
}

TEST(TokenAuthenticator, ParsesTheBearerHeader) {
  auto auth = TokenAuthenticator::create({{"sthjj-330100", crypto::sha256_hex("env-secret")}});
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->authenticate("Bearer env-secret"), "sthjj-330100");
  EXPECT_EQ(auth->authenticate("bearer env-secret "), "sthjj-330100");
  EXPECT_EQ(auth->authenticate("Basic env-secret"), std::nullopt);
  EXPECT_EQ(auth->authenticate("Bearer "), std::nullopt);
  EXPECT_EQ(auth->authenticate(""), std::nullopt);
  EXPECT_EQ(auth->authenticate("env-secret"), std::nullopt);
}

TEST(TokenAuthenticator, RejectsAConfiguredValueThatIsNotAHashNamingTheKey) {
  auto bad = TokenAuthenticator::create({{"sthjj-330100", "plain-token"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "auth.token_sha256.sthjj-330100");
  auto not_hex = TokenAuthenticator::create({{"a", std::string(64, 'z')}});
  ASSERT_FALSE(not_hex.ok());
}

TEST(Sha256Hex, IsWhatSha256sumPrints) {
  // printf %s demo | sha256sum
  EXPECT_EQ(crypto::sha256_hex("demo"), "2a97516c354b68848cdbd8f54a226a0a55b21ed138e207ad6c5cbb9c00aa5aea");
}

}  // namespace
}  // namespace caselink::ingress
