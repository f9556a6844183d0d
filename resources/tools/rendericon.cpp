// Renders an SVG icon to PNGs of the given sizes, for the hicolor theme: the build makes every
// size from the one scalable drawing. Usage: weightlens_rendericon SVG OUTDIR SIZE...
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>
#include <QTextStream>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments().mid(1);
    QTextStream err(stderr);
    if (args.size() < 3) {
        err << "usage: weightlens_rendericon SVG OUTDIR SIZE...\n";
        return 2;
    }
    QSvgRenderer svg(args[0]);
    if (!svg.isValid()) {
        err << "weightlens_rendericon: " << args[0] << ": not a valid SVG\n";
        return 1;
    }
    for (const QString &arg : args.mid(2)) {
        bool ok = false;
        const int size = arg.toInt(&ok);
        if (!ok || size < 1 || size > 4096) {
            err << "weightlens_rendericon: bad size " << arg << "\n";
            return 2;
        }
        QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::transparent);
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        svg.render(&painter);
        painter.end();
        const QString dir = QStringLiteral("%1/%2x%2/apps").arg(args[1]).arg(size);
        const QString out = dir + QStringLiteral("/weightlens.png");
        // Written under a temporary name and renamed, so a failed build leaves no half icon.
        if (!QDir().mkpath(dir) || !image.save(out + QStringLiteral(".tmp"), "PNG") ||
            (QFile::exists(out) && !QFile::remove(out)) ||
            !QFile::rename(out + QStringLiteral(".tmp"), out)) {
            err << "weightlens_rendericon: cannot write " << out << "\n";
            return 1;
        }
    }
    return 0;
}
