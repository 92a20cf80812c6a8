package local.es;

import org.elasticsearch.Build;
import org.elasticsearch.action.DocWriteResponse;
import org.elasticsearch.action.bulk.BulkItemResponse;
import org.elasticsearch.action.bulk.BulkRequest;
import org.elasticsearch.action.bulk.BulkResponse;
import org.elasticsearch.action.delete.DeleteRequest;
import org.elasticsearch.action.search.SearchRequest;
import org.elasticsearch.action.search.SearchResponse;
import org.elasticsearch.action.support.WriteRequest;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.metadata.IndexNameExpressionResolver;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.Strings;
import org.elasticsearch.common.bytes.BytesArray;
import org.elasticsearch.common.bytes.BytesReference;
import org.elasticsearch.common.io.stream.NamedWriteableRegistry;
import org.elasticsearch.common.settings.ClusterSettings;
import org.elasticsearch.common.settings.IndexScopedSettings;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.settings.SettingsFilter;
import org.elasticsearch.common.xcontent.XContentHelper;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.query.QueryBuilder;
import org.elasticsearch.index.query.QueryBuilders;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.elasticsearch.index.analysis.PreBuiltAnalyzerProviderFactory;
import org.elasticsearch.indices.analysis.PreBuiltCacheFactory;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestChannel;
import org.elasticsearch.rest.RestController;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.search.SearchHit;
import org.elasticsearch.search.builder.SearchSourceBuilder;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Stand-ins for two handlers that live in modules the integ-test-zip does not ship:
 * GET|HEAD / (rest-root module) and POST /{index}/_delete_by_query (reindex module).
 */
public class LocalShimPlugin extends Plugin implements ActionPlugin, AnalysisPlugin {

    /**
     * The prebuilt "english" analyzer (Lucene's EnglishAnalyzer: standard tokenizer, possessives, lower case,
     * English stop words, Porter stemming), which a full distribution gets from its analysis-common module.
     */
    @Override
    public List<PreBuiltAnalyzerProviderFactory> getPreBuiltAnalyzerProviderFactories() {
        return List.of(
            new PreBuiltAnalyzerProviderFactory("english", PreBuiltCacheFactory.CachingStrategy.LUCENE, EnglishAnalyzer::new)
        );
    }

    private final AtomicReference<ClusterService> clusterService = new AtomicReference<>();

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService.set(services.clusterService());
        return List.of();
    }

    @Override
    public Collection<RestHandler> getRestHandlers(Settings settings, NamedWriteableRegistry namedWriteableRegistry,
            RestController restController, ClusterSettings clusterSettings, IndexScopedSettings indexScopedSettings,
            SettingsFilter settingsFilter, IndexNameExpressionResolver indexNameExpressionResolver,
            Supplier<DiscoveryNodes> nodesInCluster, Predicate<NodeFeature> clusterSupportsFeature) {
        return List.of(new RootHandler(clusterService), new DeleteByQueryHandler());
    }

    static final class RootHandler extends BaseRestHandler {
        private final AtomicReference<ClusterService> clusterService;

        RootHandler(AtomicReference<ClusterService> clusterService) {
            this.clusterService = clusterService;
        }

        @Override
        public String getName() {
            return "local_main_action";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
            return channel -> {
                if (request.method() == RestRequest.Method.HEAD) {
                    channel.sendResponse(new RestResponse(RestStatus.OK, RestResponse.TEXT_CONTENT_TYPE, BytesArray.EMPTY));
                    return;
                }
                ClusterService cs = clusterService.get();
                Build build = Build.current();
                XContentBuilder b = channel.newBuilder();
                b.startObject();
                b.field("name", cs.localNode().getName());
                b.field("cluster_name", cs.getClusterName().value());
                b.field("cluster_uuid", cs.state().metadata().clusterUUID());
                b.startObject("version")
                    .field("number", build.qualifiedVersion())
                    .field("build_flavor", "default")
                    .field("build_type", build.type().displayName())
                    .field("build_hash", build.hash())
                    .field("build_date", build.date())
                    .field("build_snapshot", build.isSnapshot())
                    .field("lucene_version", org.apache.lucene.util.Version.LATEST.toString())
                    .field("minimum_wire_compatibility_version", build.minWireCompatVersion())
                    .field("minimum_index_compatibility_version", build.minIndexCompatVersion())
                    .endObject();
                b.field("tagline", "You Know, for Search");
                b.endObject();
                channel.sendResponse(new RestResponse(RestStatus.OK, b));
            };
        }
    }

    /**
     * Synchronous delete-by-query: repeatedly searches the matching ids (1000 at a time) and bulk-deletes them
     * with an immediate refresh, until nothing matches. No scripts, slices, throttling or tasks.
     */
    static final class DeleteByQueryHandler extends BaseRestHandler {
        private static final int BATCH = 1000;
        private static final int MAX_BATCHES = 100_000;

        @Override
        public String getName() {
            return "local_delete_by_query_action";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.POST, "/{index}/_delete_by_query"));
        }

        @Override
        @SuppressWarnings("unchecked")
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws IOException {
            final String[] indices = Strings.splitStringByCommaToArray(request.param("index"));
            // Accepted and ignored: the shim always runs to completion and refreshes the deleted documents away.
            for (String p : List.of("refresh", "wait_for_completion", "conflicts", "timeout", "wait_for_active_shards",
                    "scroll", "scroll_size", "slices", "requests_per_second", "routing", "max_docs", "q",
                    "ignore_unavailable", "allow_no_indices", "expand_wildcards", "error_trace", "filter_path")) {
                request.param(p);
            }
            Object query = Map.of("match_all", Map.of());
            if (request.hasContent()) {
                Map<String, Object> body = XContentHelper.convertToMap(request.content(), false, request.getXContentType()).v2();
                if (body.containsKey("query")) {
                    query = body.get("query");
                }
            }
            XContentBuilder qb = XContentFactory.jsonBuilder().map((Map<String, ?>) query);
            final QueryBuilder queryBuilder = QueryBuilders.wrapperQuery(BytesReference.bytes(qb));
            return channel -> client.threadPool().generic().execute(() -> run(client, channel, indices, queryBuilder));
        }

        private static void run(NodeClient client, RestChannel channel, String[] indices, QueryBuilder query) {
            long start = System.nanoTime();
            long total = 0, deleted = 0, conflicts = 0, batches = 0;
            List<String> failures = new ArrayList<>();
            try {
                while (batches < MAX_BATCHES) {
                    SearchRequest search = new SearchRequest(indices).source(
                        new SearchSourceBuilder().query(query).size(BATCH).fetchSource(false).sort("_doc"));
                    BulkRequest bulk = new BulkRequest().setRefreshPolicy(WriteRequest.RefreshPolicy.IMMEDIATE);
                    SearchResponse response = client.search(search).actionGet();
                    try {
                        for (SearchHit hit : response.getHits().getHits()) {
                            bulk.add(new DeleteRequest(hit.getIndex(), hit.getId()));
                        }
                    } finally {
                        response.decRef();
                    }
                    if (bulk.numberOfActions() == 0) {
                        break;
                    }
                    batches++;
                    total += bulk.numberOfActions();
                    long deletedThisBatch = 0;
                    BulkResponse bulkResponse = client.bulk(bulk).actionGet();
                    for (BulkItemResponse item : bulkResponse.getItems()) {
                        if (item.isFailed()) {
                            if (item.getFailure().getStatus() == RestStatus.CONFLICT) {
                                conflicts++;
                            } else {
                                failures.add(item.getFailureMessage());
                            }
                        } else if (item.getResponse().getResult() == DocWriteResponse.Result.DELETED) {
                            deletedThisBatch++;
                        }
                    }
                    deleted += deletedThisBatch;
                    if (deletedThisBatch == 0 || failures.isEmpty() == false) {
                        break;
                    }
                }
                XContentBuilder b = channel.newBuilder();
                b.startObject()
                    .field("took", (System.nanoTime() - start) / 1_000_000)
                    .field("timed_out", false)
                    .field("total", total)
                    .field("deleted", deleted)
                    .field("batches", batches)
                    .field("version_conflicts", conflicts)
                    .field("noops", 0)
                    .startObject("retries").field("bulk", 0).field("search", 0).endObject()
                    .field("throttled_millis", 0)
                    .field("requests_per_second", -1.0)
                    .field("throttled_until_millis", 0)
                    .startArray("failures");
                for (String f : failures) {
                    b.startObject().field("cause", f).endObject();
                }
                b.endArray().endObject();
                channel.sendResponse(new RestResponse(RestStatus.OK, b));
            } catch (Exception e) {
                try {
                    channel.sendResponse(new RestResponse(channel, e));
                } catch (IOException inner) {
                    e.addSuppressed(inner);
                }
            }
        }
    }
}
