#include "plotexport.h"

#include "write/atomicfile.h"

#include <QBuffer>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QMenu>
#include <QMessageBox>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QToolButton>
#include <algorithm>
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

void setExportMenu(QToolButton *button, const QString &dialogTitle, std::function<QString()> base,
                   std::function<Status(const QString &path)> write)
{
    button->setPopupMode(QToolButton::InstantPopup);
    auto *menu = new QMenu(button);
    const std::pair<QString, QString> formats[] = {
        {QObject::tr("Image (PNG)…"), QStringLiteral("png")},
        {QObject::tr("Vector (SVG)…"), QStringLiteral("svg")},
        {QObject::tr("Document (PDF)…"), QStringLiteral("pdf")},
        {QObject::tr("Values (CSV)…"), QStringLiteral("csv")}};
    for (const auto &[label, suffix] : formats)
        menu->addAction(label, button, [=] {
            const QString filter =
                suffix == QLatin1String("csv")   ? QObject::tr("CSV files (*.csv)")
                : suffix == QLatin1String("svg") ? QObject::tr("SVG images (*.svg)")
                : suffix == QLatin1String("pdf") ? QObject::tr("PDF documents (*.pdf)")
                                                 : QObject::tr("PNG images (*.png)");
            QString name = base();
            name.replace(QLatin1Char('/'), QLatin1Char('_'));
            const QString path = QFileDialog::getSaveFileName(
                button->window(), dialogTitle, name + QLatin1Char('.') + suffix, filter);
            if (path.isEmpty())
                return;
            if (const Status st = write(path); !st.ok())
                QMessageBox::warning(button->window(), QObject::tr("Export failed"),
                                     st.error().message());
        });
    button->setMenu(menu);
}

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
    return savePlots({{plot, QSize(w, h)}}, path);
}

Status savePlots(const QList<std::pair<QCustomPlot *, QSize>> &plots, const QString &path)
{
    int w = 0, h = 0;
    for (const auto &[plot, size] : plots) {
        w = std::max(w, size.width());
        h += size.height();
    }
    // Each plot below the one before, at its own size.
    auto paint = [&](QCPPainter &painter) {
        int y = 0;
        for (const auto &[plot, size] : plots) {
            painter.save();
            painter.translate(0, y);
            plot->toPainter(&painter, size.width(), size.height());
            painter.restore();
            y += size.height();
        }
    };
    const QString suffix = QFileInfo(path).suffix().toLower();
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (suffix == QLatin1String("svg")) {
        QSvgGenerator gen;
        gen.setOutputDevice(&buffer);
        gen.setSize(QSize(w, h));
        gen.setViewBox(QRect(0, 0, w, h));
        gen.setTitle(QObject::tr("WeightLens plot"));
        QCPPainter painter;
        if (!painter.begin(&gen))
            return failed(path, QObject::tr("cannot start the SVG painter"));
        paint(painter);
        painter.end();
    } else if (suffix == QLatin1String("pdf")) {
        QPdfWriter pdf(&buffer);
        pdf.setPageSize(QPageSize(QSizeF(w, h), QPageSize::Point));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setResolution(72);
        pdf.setTitle(QObject::tr("WeightLens plot"));
        QCPPainter painter;
        if (!painter.begin(&pdf))
            return failed(path, QObject::tr("cannot start the PDF painter"));
        paint(painter);
        painter.end();
    } else if (suffix == QLatin1String("png")) {
        // Twice the screen size, as QCustomPlot::toPixmap is asked for.
        constexpr int kScale = 2;
        QImage image(w * kScale, h * kScale, QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::white);
        QPainter painter(&image);
        int y = 0;
        for (const auto &[plot, size] : plots) {
            painter.drawPixmap(0, y * kScale,
                               plot->toPixmap(size.width(), size.height(), double(kScale)));
            y += size.height();
        }
        painter.end();
        if (!image.save(&buffer, "PNG"))
            return failed(path, QObject::tr("PNG encoding failed"));
    } else {
        return makeError(LoadError::Code::BadArgument, path, {},
                         QObject::tr("a .png, .svg or .pdf file name"), suffix);
    }
    return writeBytesAtomically(path, bytes, true);
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
