#include "icons.h"

#include <QFile>
#include <QHash>

// The resource library is static: its initializer must be pulled in by name.
static void initResources()
{
    Q_INIT_RESOURCE(weightlens);
}

namespace wl::icons
{

QIcon forName(const QString &name)
{
    static QHash<QString, QIcon> cache;
    initResources();
    auto it = cache.find(name);
    if (it != cache.end())
        return *it;
    const QString path = QStringLiteral(":/icons/%1.svg").arg(name);
    QIcon icon = QFile::exists(path) ? QIcon(path) : QIcon();
    cache.insert(name, icon);
    return icon;
}

QIcon application()
{
    return forName(QStringLiteral("weightlens"));
}

} // namespace wl::icons
