#include "tensorinfo.h"

namespace wl
{

QString roleName(TensorRole r)
{
    switch (r) {
    case TensorRole::Variable:
        return QStringLiteral("variable");
    case TensorRole::OptimizerSlot:
        return QStringLiteral("optimizer_slot");
    case TensorRole::Optimizer:
        return QStringLiteral("optimizer");
    case TensorRole::Metadata:
        return QStringLiteral("metadata");
    }
    return {};
}

std::optional<TensorRole> roleFromName(const QString &name)
{
    for (auto r : {TensorRole::Variable, TensorRole::OptimizerSlot, TensorRole::Optimizer,
                   TensorRole::Metadata})
        if (roleName(r) == name)
            return r;
    return std::nullopt;
}

QString TensorInfo::dtypeText() const
{
    if (dtype == DType::Unknown)
        return QStringLiteral("unknown dtype %1").arg(sourceDType);
    return dtypeName(dtype);
}

} // namespace wl
