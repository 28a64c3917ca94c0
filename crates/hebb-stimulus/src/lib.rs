//! External drive: Poisson and correlated mother-process layers, windows, independent drive.
