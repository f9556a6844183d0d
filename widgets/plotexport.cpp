#include "plotexport.h"

#include <QBuffer>
#include <QFileInfo>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <qcustomplot.h>

namespace wl
{
namespace
{

Status failed(const QString &path, const QString &what)
{
    return makeError(LoadError::Code::WriteFailed, path, {}, {}, {}, what);
}

} // namespace

QString csvField(QString s)
{
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) ||
        s.contains(QLatin1Char('\n'))) {
        s.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        return QLatin1Char('"') + s + QLatin1Char('"');
    }
    return s;
}

Status savePlot(QCustomPlot *plot, const QString &path, int width, int height)
{
    const int w = width > 0 ? width : plot->width();
    const int h = height > 0 ? height : plot->height();
    const QString suffix = QFileInfo(path).suffix().toLower();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return failed(path, file.errorString());
    if (suffix == QLatin1String("svg")) {
        QSvgGenerator gen;
        gen.setOutputDevice(&file);
        gen.setSize(QSize(w, h));
        gen.setViewBox(QRect(0, 0, w, h));
        gen.setTitle(QObject::tr("WeightLens histogram"));
        QCPPainter painter;
        if (!painter.begin(&gen))
            return failed(path, QObject::tr("cannot start the SVG painter"));
        plot->toPainter(&painter, w, h);
        painter.end();
    } else if (suffix == QLatin1String("pdf")) {
        QPdfWriter pdf(&file);
        pdf.setPageSize(QPageSize(QSizeF(w, h), QPageSize::Point));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setResolution(72);
        pdf.setTitle(QObject::tr("WeightLens histogram"));
        QCPPainter painter;
        if (!painter.begin(&pdf))
            return failed(path, QObject::tr("cannot start the PDF painter"));
        plot->toPainter(&painter, w, h);
        painter.end();
    } else if (suffix == QLatin1String("png")) {
        const QPixmap pm = plot->toPixmap(w, h, 2.0);
        if (!pm.save(&file, "PNG"))
            return failed(path, QObject::tr("PNG encoding failed"));
    } else {
        file.cancelWriting();
        return makeError(LoadError::Code::BadArgument, path, {},
                         QObject::tr("a .png, .svg or .pdf file name"), suffix);
    }
    if (!file.commit())
        return failed(path, file.errorString());
    return Ok{};
}

QByteArray histogramCsv(const QList<HistogramSeries> &series)
{
    QByteArray out = "series,bin,lo,hi,count\n";
    for (const auto &s : series) {
        const auto &h = s.histogram;
        for (std::size_t b = 0; b < h.counts.size(); ++b) {
            const double hi = b + 1 == h.counts.size() ? h.hi : h.edge(b + 1);
            out += QStringLiteral("%1,%2,%3,%4,%5\n")
                       .arg(csvField(s.label))
                       .arg(b)
                       .arg(QString::number(h.edge(b), 'g', 17), QString::number(hi, 'g', 17))
                       .arg(h.counts[b])
                       .toUtf8();
        }
        out += QStringLiteral("%1,nan,,,%2\n%1,inf,,,%3\n")
                   .arg(csvField(s.label))
                   .arg(s.nan)
                   .arg(s.inf)
                   .toUtf8();
    }
    return out;
}

Status saveHistogramCsv(const QList<HistogramSeries> &series, const QString &path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return failed(path, file.errorString());
    const QByteArray data = histogramCsv(series);
    if (file.write(data) != data.size())
        return failed(path, file.errorString());
    if (!file.commit())
        return failed(path, file.errorString());
    return Ok{};
}

} // namespace wl
