CREATE TABLE "corpus_retention" (
	"owner_id" text NOT NULL,
	"corpus" text NOT NULL,
	"days" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "corpus_retention_owner_id_corpus_pk" PRIMARY KEY("owner_id","corpus")
);
--> statement-breakpoint
ALTER TABLE "corpus_retention" ADD CONSTRAINT "corpus_retention_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;