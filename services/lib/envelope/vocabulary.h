#pragma once
// The shared domain vocabulary (services/lib/core) as contract enums.

#include "caselink/v1/referral.pb.h"
#include "services/lib/core/confidence.h"

namespace caselink::envelope {

caselink::v1::Confidence to_proto(Confidence confidence);

}  // namespace caselink::envelope
