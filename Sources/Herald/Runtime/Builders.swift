import Logging

/// What each executable runs, built from its configuration. The executables and the integration
/// tests call the same functions, so the tests run exactly what ships.
public enum HeraldProcess {
    public static func logger(_ label: String, configuration: HeraldConfiguration) -> Logger {
        HeraldLogging.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        var logger = Logger(label: label)
        logger.logLevel = configuration.logLevel
        logger[metadataKey: "instance"] = "\(configuration.instanceName)"
        for warning in configuration.warnings { logger.warning("\(warning)") }
        return logger
    }

    public static func buildRouter(_ configuration: RouterConfiguration, logger: Logger) -> ServiceThreads {
        let telemetry = telemetry(configuration.base)
        let services: [any HeraldService] = [Router(configuration: configuration, logger: logger, telemetry: telemetry)]
        return withOps(services, base: configuration.base, telemetry: telemetry, logger: logger)
    }

    public static func buildWorker(_ configuration: WorkerConfiguration, logger: Logger) -> ServiceThreads {
        let telemetry = telemetry(configuration.base)
        var services: [any HeraldService] = [Worker(configuration: configuration, logger: logger, telemetry: telemetry)]
        if configuration.reconcile {
            services.append(Reconciler(base: configuration.base, interval: configuration.reconcileInterval,
                                       graceSeconds: configuration.reconcileGraceSeconds,
                                       backlogGraceSeconds: configuration.reconcileBacklogGraceSeconds, logger: logger,
                                       metrics: telemetry.metrics))
        }
        services.append(Notifier(base: configuration.base, configuration: configuration.notifications, logger: logger))
        if configuration.housekeeping { services.append(Housekeeper(base: configuration.base, logger: logger)) }
        if configuration.notifications.smtp == nil {
            logger.info("no HERALD_SMTP_URL: webhooks' notify_email addresses get no mail (notify_url still works)")
        }
        return withOps(services, base: configuration.base, telemetry: telemetry, logger: logger)
    }

    /// With `HERALD_METRICS_ADDR` set (the default for router and worker): the ops listener and the
    /// queue-depth sampler join the services.
    static func telemetry(_ base: HeraldConfiguration) -> ProcessTelemetry {
        ProcessTelemetry(metrics: HeraldMetrics(labelledWebhooks: base.metricsWebhooks), spans: base.otlp.map(SpanExporter.init))
    }

    static func withOps(_ services: [any HeraldService], base: HeraldConfiguration, telemetry: ProcessTelemetry,
                        logger: Logger) -> ServiceThreads {
        var services = services
        if let spans = telemetry.spans { services.append(SpanExportService(exporter: spans, instance: base.instanceName, logger: logger)) }
        guard let address = base.metricsAddress else { return ServiceThreads(services: services, logger: logger, telemetry: telemetry) }
        return ServiceThreads(services: services + [QueueSampler(base: base, metrics: telemetry.metrics, logger: logger)], logger: logger,
                              telemetry: telemetry, ops: OpsListener(address: address, telemetry: telemetry, logger: logger))
    }

    public static func buildRelay(_ configuration: HeraldConfiguration, batchSize: Int, logger: Logger) -> ServiceThreads {
        ServiceThreads(services: [OutboxRelay(base: configuration, batchSize: batchSize, logger: logger)], logger: logger)
    }
}
